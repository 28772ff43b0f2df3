package io.pgjobs.samples;

import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.JobClient;
import io.pgjobs.JobState;
import io.pgjobs.Scheduler;
import io.pgjobs.SchedulerEvent;
import io.pgjobs.WorkflowStatus;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import javax.sql.DataSource;

/**
 * The image-processing agent (README, docs/workflows.md#the-image-processing-agent): generates a directory of
 * images (some of them bad on purpose), enqueues one saga per image ({@link ImagePipeline}), prints each step as
 * it happens, and ends with a summary: the images processed, with their manifests, and the images whose saga
 * failed and was compensated, with nothing of theirs left behind. Runs on an embedded PostgreSQL.
 *
 * <p>Options: {@code --dir DIR} (default {@code target/image-agent}), {@code --images N} (default 8),
 * {@code --seed S} (default 42: the images and the upload target's failures), {@code --fail-percent P} (default
 * 30: how often the upload target fails an attempt).
 */
public final class ImageAgent {

    /** How a run ended: each image's saga, by image name. */
    public record Summary(Map<String, WorkflowStatus> sagas) {
        List<String> processed() {
            return names(WorkflowStatus.SagaState.COMPLETED);
        }

        List<String> compensated() {
            return names(WorkflowStatus.SagaState.COMPENSATED);
        }

        private List<String> names(WorkflowStatus.SagaState state) {
            return sagas.entrySet().stream().filter(e -> e.getValue().sagaState() == state).map(Map.Entry::getKey)
                    .toList();
        }
    }

    /** What one run does: where, how many images, and the seed and failure rate of the upload target. */
    public record Options(Path dir, int images, long seed, int uploadFailPercent) {
        Path input() { return dir.resolve("in"); }
        ImagePipeline.Dirs dirs() {
            return new ImagePipeline.Dirs(dir.resolve("work").toString(), dir.resolve("out").toString());
        }

        static Options parse(String[] args) {
            Map<String, String> given = new LinkedHashMap<>();
            for (int i = 0; i + 1 < args.length; i += 2) {
                given.put(args[i], args[i + 1]);
            }
            if (args.length % 2 != 0) {
                throw new IllegalArgumentException("options come in pairs (--name value), got " + List.of(args));
            }
            return new Options(Path.of(given.getOrDefault("--dir", "target/image-agent")).toAbsolutePath(),
                    Integer.parseInt(given.getOrDefault("--images", "8")),
                    Long.parseLong(given.getOrDefault("--seed", "42")),
                    Integer.parseInt(given.getOrDefault("--fail-percent", "30")));
        }
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
             HikariDataSource dataSource = Demo.pool(pg.getJdbcUrl("postgres", "postgres"))) {
            Summary summary = run(dataSource, options, ImageAgent::say);
            say("");
            say("summary: " + summary.sagas().size() + " images, " + summary.processed().size() + " processed, "
                    + summary.compensated().size() + " failed and compensated");
            summary.sagas().forEach((image, saga) -> say("  " + image + ": " + saga.sagaState()
                    + (saga.sagaState() == WorkflowStatus.SagaState.COMPLETED
                            ? " -> " + options.dirs().out() + "/" + image + "/manifest.json"
                            : failure(saga))));
        }
    }

    /** Generates the images under {@code options.dir()}, runs a saga for each, and waits for them all. */
    public static Summary run(DataSource dataSource, Options options, Consumer<String> progress) throws Exception {
        ImagePipeline.deleteTree(options.dir());
        List<Path> images = generate(options.input(), options.images(), options.seed());
        progress.accept("generated " + images.size() + " images in " + options.input());
        try (Scheduler scheduler = ImagePipeline.configure(Scheduler.builder(dataSource)
                        .pollInterval(Duration.ofMillis(200))
                        .listener(event -> {
                            switch (event) {
                                case SchedulerEvent.CircuitOpened opened ->
                                        progress.accept("circuit of " + opened.kind() + " opened: " + opened.reason());
                                case SchedulerEvent.CircuitClosed closed ->
                                        progress.accept("circuit of " + closed.kind() + " closed: " + closed.reason());
                                default -> { }
                            }
                        }), options.seed(), options.uploadFailPercent(), progress)
                .build()) {
            scheduler.start();
            JobClient client = scheduler.client();
            Map<String, Long> sagas = new LinkedHashMap<>();
            for (Path image : images) {
                String name = image.getFileName().toString().replaceFirst("\\.png$", "");
                sagas.put(name, client.workflows().enqueue(ImagePipeline.saga(name, image, options.dirs()))
                        .workflowId());
            }
            Map<String, WorkflowStatus> ended = new LinkedHashMap<>();
            for (Map.Entry<String, Long> saga : sagas.entrySet()) {
                ended.put(saga.getKey(), client.workflows().await(saga.getValue(), Duration.ofMinutes(5)));
            }
            return new Summary(ended);
        }
    }

    /**
     * {@code count} PNGs of seeded gradients and shapes, and two bad ones: a file that is not an image (its
     * validation fails) and one the output store refuses (it fails at the upload, after files were written).
     */
    static List<Path> generate(Path dir, int count, long seed) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom random = new SplittableRandom(seed);
        List<Path> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            BufferedImage image = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setPaint(new GradientPaint(0, 0, new Color(random.nextInt(0x1000000)), 640, 480,
                    new Color(random.nextInt(0x1000000))));
            g.fillRect(0, 0, 640, 480);
            for (int shape = 0; shape < 12; shape++) {
                g.setColor(new Color(random.nextInt(0x1000000)));
                g.fillOval(random.nextInt(600), random.nextInt(440), 20 + random.nextInt(120), 20 + random.nextInt(120));
            }
            g.dispose();
            String name = (i == count - 1 ? ImagePipeline.REFUSED_PREFIX : "photo-") + String.format("%02d", i);
            Path file = dir.resolve(name + ".png");
            ImageIO.write(image, "png", file.toFile());
            images.add(file);
        }
        Path broken = dir.resolve("broken.png");
        Files.writeString(broken, "not a PNG at all");
        images.add(broken);
        return images;
    }

    private static String failure(WorkflowStatus saga) {
        return saga.steps().stream().filter(step -> step.state() == JobState.DISCARDED)
                .findFirst().map(step -> " (step " + step.name() + ": " + step.lastError().lines().findFirst()
                        .orElse("") + ")").orElse("");
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
