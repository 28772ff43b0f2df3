package io.pgjobs.soak;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a finished soak's database again: starts an embedded server on the data directory the run kept
 * ({@code --data-dir}), then prints the report's figures and the invariant checker's violations, as the run did at
 * its end; so a checker or report changed after the run reads the same data. Arguments: the data directory, and the
 * nodes' concurrency if the run's was not the default 16. Exits 1 when an invariant was broken, 2 on bad arguments.
 */
public final class Recheck {
    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2 || !Files.isDirectory(Path.of(args[0]))
                || (args.length == 2 && !args[1].matches("\\d{1,2}"))) {
            System.err.println("recheck: takes a soak's --data-dir and, if not 16, its --concurrency; was "
                    + String.join(" ", args));
            System.exit(2);
            return;
        }
        int concurrency = args.length == 2 ? Integer.parseInt(args[1]) : 16;
        List<InvariantChecker.Violation> violations;
        try (SoakDatabase database = SoakDatabase.kept(Path.of(args[0]))) {
            new SoakReport(database.dataSource()).print(System.out, List.of(),
                    new ConnectionSampler(database.dataSource()));
            InvariantChecker checker = new InvariantChecker(database.dataSource(), concurrency);
            violations = checker.check();
            checker.print(violations, System.out);
        }
        System.out.println("[recheck] " + violations.size() + " violations");
        System.exit(violations.isEmpty() ? 0 : 1);
    }

    private Recheck() {}
}
