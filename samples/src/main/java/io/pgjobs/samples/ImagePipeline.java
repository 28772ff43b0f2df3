package io.pgjobs.samples;

import io.pgjobs.CircuitBreaker;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.NonRetryableException;
import io.pgjobs.RateLimit;
import io.pgjobs.Scheduler;
import io.pgjobs.Workflow;
import java.awt.AlphaComposite;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * The image-processing agent's saga, one per image (docs/workflows.md#the-image-processing-agent):
 * validate and checksum → resize to three sizes in parallel → watermark → upload to the output store → manifest.
 * Resizes, watermarks and uploads write files; each has a compensation that deletes what it wrote, so an image
 * whose saga fails for good leaves no partial outputs. The upload's target is flaky (a failure rate, the same
 * for every run with the same seed), guarded by a circuit breaker and capped by a rate limit.
 */
public final class ImagePipeline {
    /** The three sizes, by name, as widths in pixels. */
    static final Map<String, Integer> SIZES = sizes();
    /** The queue of the upload step, whose rate the target caps. */
    static final String UPLOAD_QUEUE = "upload";
    /** A file the output store refuses for good: the saga fails at the upload and undoes what it wrote. */
    static final String REFUSED_PREFIX = "refused-";

    /** Where the agent works: its work directory (intermediate files) and the output store. */
    public record Dirs(String work, String out) {}

    @JobKind("image.validate")
    public record Validate(String image, String source, Dirs dirs) {}

    /** What validation kept with the job: the source's SHA-256 and its size. */
    public record Validated(String sha256, int width, int height) {}

    @JobKind("image.resize")
    public record Resize(String image, String source, String size, int width, Dirs dirs) {}

    @JobKind("image.watermark")
    public record Watermark(String image, Dirs dirs) {}

    @JobKind("image.upload")
    public record Upload(String image, Dirs dirs) {}

    @JobKind("image.manifest")
    public record Manifest(String image, Dirs dirs) {}

    /** A compensation: deletes the files its step wrote (the step's result). */
    @JobKind("image.delete-outputs")
    public record DeleteOutputs(String image) {}

    /** The files a step wrote, as absolute paths. */
    public record Written(List<String> files) {}

    private ImagePipeline() {}

    private static Map<String, Integer> sizes() {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        sizes.put("small", 64);
        sizes.put("medium", 160);
        sizes.put("large", 320);
        return Map.copyOf(sizes);
    }

    /** The names of the sizes, smallest first. */
    static List<String> sizeNames() {
        return SIZES.entrySet().stream().sorted(Map.Entry.comparingByValue()).map(Map.Entry::getKey).toList();
    }

    /** The saga of one image. */
    static Workflow saga(String image, Path source, Dirs dirs) {
        JobRequest undo = JobRequest.of(new DeleteOutputs(image)).maxAttempts(5);
        Workflow.Builder saga = Workflow.saga("image " + image)
                .step("validate", JobRequest.of(new Validate(image, source.toString(), dirs)));
        List<String> resized = new ArrayList<>();
        for (String size : sizeNames()) {
            saga.compensatedStep("resize-" + size, JobRequest.of(new Resize(image, source.toString(), size,
                    SIZES.get(size), dirs)), undo, "validate");
            resized.add("resize-" + size);
        }
        return saga.compensatedStep("watermark", JobRequest.of(new Watermark(image, dirs)), undo,
                        resized.toArray(String[]::new))
                .compensatedStep("upload", JobRequest.of(new Upload(image, dirs)).queue(UPLOAD_QUEUE).maxAttempts(10),
                        undo, "watermark")
                .step("manifest", JobRequest.of(new Manifest(image, dirs)), "validate", "upload")
                .build();
    }

    /**
     * The agent's handlers, breaker and rate limit on {@code builder}. The upload fails {@code uploadFailPercent}
     * percent of its attempts, decided by {@code seed}, the image and the attempt; {@code progress} hears each
     * step.
     */
    static Scheduler.Builder configure(Scheduler.Builder builder, long seed, int uploadFailPercent,
                                       Consumer<String> progress) {
        return builder
                .queue("default", 4)
                .queue(UPLOAD_QUEUE, 2)
                .rateLimit(UPLOAD_QUEUE, RateLimit.of(20, Duration.ofSeconds(1)))
                .retryPolicy(attempt -> Duration.ofMillis(50L * attempt))
                .handler(Validate.class, ctx -> {
                    Path source = Path.of(ctx.args().source());
                    BufferedImage image = read(source);
                    progress.accept(ctx.args().image() + ": valid, " + image.getWidth() + "x" + image.getHeight());
                    return new Validated(sha256(source), image.getWidth(), image.getHeight());
                })
                .handler(Resize.class, ctx -> {
                    Resize resize = ctx.args();
                    BufferedImage source = read(Path.of(resize.source()));
                    int height = Math.max(1, source.getHeight() * resize.width() / source.getWidth());
                    BufferedImage scaled = new BufferedImage(resize.width(), height, BufferedImage.TYPE_INT_RGB);
                    Graphics2D g = scaled.createGraphics();
                    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                    g.drawImage(source, 0, 0, resize.width(), height, null);
                    g.dispose();
                    Path file = workDir(resize.dirs(), resize.image()).resolve(resize.size() + ".png");
                    write(scaled, file);
                    progress.accept(resize.image() + ": resized to " + resize.size());
                    return new Written(List.of(file.toString()));
                })
                .handler(Watermark.class, ctx -> {
                    Watermark watermark = ctx.args();
                    List<String> files = new ArrayList<>();
                    for (String size : sizeNames()) {
                        Path resized = Path.of(ctx.parentResult("resize-" + size, Written.class).files().getFirst());
                        Path marked = workDir(watermark.dirs(), watermark.image()).resolve(size + "-watermarked.png");
                        write(watermarked(read(resized)), marked);
                        files.add(marked.toString());
                    }
                    progress.accept(watermark.image() + ": watermarked");
                    return new Written(files);
                })
                .handler(Upload.class, ctx -> {
                    Upload upload = ctx.args();
                    if (upload.image().startsWith(REFUSED_PREFIX)) {
                        throw new NonRetryableException("the output store refuses " + upload.image());
                    }
                    if (new SplittableRandom(seed ^ upload.image().hashCode() * 31L ^ ctx.attempt()).nextInt(100)
                            < uploadFailPercent) {
                        progress.accept(upload.image() + ": upload attempt " + ctx.attempt() + " failed (flaky target)");
                        throw new IOException("the output store did not answer (simulated)");
                    }
                    Path target = Files.createDirectories(Path.of(upload.dirs().out(), upload.image()));
                    List<String> files = new ArrayList<>();
                    for (String marked : ctx.parentResult("watermark", Written.class).files()) {
                        Path copy = target.resolve(Path.of(marked).getFileName().toString()
                                .replace("-watermarked", ""));
                        Files.copy(Path.of(marked), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        files.add(copy.toString());
                    }
                    progress.accept(upload.image() + ": uploaded on attempt " + ctx.attempt());
                    return new Written(files);
                })
                .handler(Manifest.class, ctx -> {
                    Manifest manifest = ctx.args();
                    Validated source = ctx.parentResult("validate", Validated.class);
                    StringBuilder json = new StringBuilder("{\n  \"image\": \"" + manifest.image() + "\",\n"
                            + "  \"sourceSha256\": \"" + source.sha256() + "\",\n  \"files\": [");
                    List<String> uploaded = ctx.parentResult("upload", Written.class).files();
                    for (int i = 0; i < uploaded.size(); i++) {
                        Path file = Path.of(uploaded.get(i));
                        BufferedImage image = read(file);
                        json.append(i == 0 ? "\n" : ",\n").append("    {\"name\": \"").append(file.getFileName())
                                .append("\", \"width\": ").append(image.getWidth()).append(", \"height\": ")
                                .append(image.getHeight()).append(", \"sha256\": \"").append(sha256(file))
                                .append("\"}");
                    }
                    json.append("\n  ]\n}\n");
                    Path written = Path.of(manifest.dirs().out(), manifest.image(), "manifest.json");
                    Files.writeString(written, json);
                    progress.accept(manifest.image() + ": manifest written");
                    return new Written(List.of(written.toString()));
                })
                .handler(DeleteOutputs.class, ctx -> {
                    // what the step it undoes wrote, as that step returned it; deleting twice is harmless
                    Written written = ctx.compensatedResult(Written.class);
                    for (String file : written.files()) {
                        Files.deleteIfExists(Path.of(file));
                        deleteIfEmpty(Path.of(file).getParent());
                    }
                    progress.accept(ctx.args().image() + ": undid " + ctx.compensatedStep().orElseThrow().name());
                    return null;
                })
                // three failed uploads in a row: the target is down; let it be for a moment, then probe it
                .circuitBreaker("image.upload", CircuitBreaker.afterConsecutiveFailures(3)
                        .coolDown(Duration.ofMillis(500)));
    }

    private static Path workDir(Dirs dirs, String image) throws IOException {
        return Files.createDirectories(Path.of(dirs.work(), image));
    }

    private static void deleteIfEmpty(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            if (entries.findAny().isEmpty()) {
                Files.delete(dir);
            }
        }
    }

    private static BufferedImage read(Path file) throws IOException {
        BufferedImage image = ImageIO.read(file.toFile());
        if (image == null) {
            throw new NonRetryableException(file.getFileName() + " is not an image ImageIO can read");
        }
        return image;
    }

    /** Writes through a temporary file, so that a crash never leaves half a PNG under the final name. */
    private static void write(BufferedImage image, Path file) throws IOException {
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        if (!ImageIO.write(image, "png", partial.toFile())) {
            throw new IllegalStateException("no PNG writer in this JDK");
        }
        Files.move(partial, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static BufferedImage watermarked(BufferedImage image) {
        BufferedImage marked = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = marked.createGraphics();
        g.drawImage(image, 0, 0, null);
        // a translucent band with diagonal stripes across the bottom: drawn shapes, no font (a headless JVM may
        // have none)
        g.setComposite(AlphaComposite.getInstance(AlphaComposite.SRC_OVER, 0.5f));
        g.setColor(Color.WHITE);
        int band = Math.max(4, image.getHeight() / 6);
        int top = image.getHeight() - band;
        g.fillRect(0, top, image.getWidth(), band);
        g.setColor(Color.BLACK);
        for (int x = -band; x < image.getWidth(); x += Math.max(4, band / 2)) {
            g.drawLine(x, image.getHeight(), x + band, top);
        }
        g.dispose();
        return marked;
    }

    static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
