package io.pgjobs.dashboard;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.Scheduler;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The dashboard on an embedded Jetty 12, standalone ({@link #main}) or started by a test or demo
 * ({@link #start}). Standalone it is closed by default: it refuses to start without dashboard users.
 *
 * <pre>
 * java -jar scheduler-dashboard-VERSION-standalone.jar --jdbc-url jdbc:postgresql://db/app --user app \
 *      --password secret --users 'alice:pw1:operator,bob:pw2:viewer' [--port 8080] [--path /] [--schema pgjobs]
 * </pre>
 * Each option may come from the environment instead: {@code PGJOBS_JDBC_URL}, {@code PGJOBS_DB_USER},
 * {@code PGJOBS_DB_PASSWORD}, {@code PGJOBS_DASHBOARD_USERS}, {@code PGJOBS_DASHBOARD_PORT}, ...
 */
public final class DashboardServer implements AutoCloseable {
    private static final Set<String> OPTIONS = Set.of("jdbc-url", "user", "password", "users", "host", "port", "path",
            "schema", "no-migrate");

    private final Server server;
    private final URI uri;

    private DashboardServer(Server server, URI uri) {
        this.server = server;
        this.uri = uri;
    }

    /** Serves {@code servlet} at {@code http://host:port/path/} (port 0: any free port). */
    public static DashboardServer start(DashboardServlet servlet, String host, int port, String path) throws Exception {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path: must start with /, got '" + path + "'");
        }
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        String base = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        context.addServlet(new ServletHolder("pgjobs-dashboard", servlet), base + "/*");
        server.setHandler(context);
        server.start();
        return new DashboardServer(server, URI.create("http://" + host + ":" + connector.getLocalPort() + base + "/"));
    }

    /** Where the dashboard's UI is, with the trailing slash. */
    public URI uri() {
        return uri;
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        String jdbcUrl = required(options, "jdbc-url");
        BasicAuth auth = BasicAuth.parse(required(options, "users"));
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(jdbcUrl);
        pool.setUsername(options.get("user"));
        pool.setPassword(options.get("password"));
        pool.setMaximumPoolSize(8);
        pool.setPoolName("pgjobs-dashboard");
        // not Hikari's 30 s: with the database gone, health/ready should say so before a probe gives up
        pool.setConnectionTimeout(3_000);
        HikariDataSource dataSource = new HikariDataSource(pool);
        // never started: this process is no node of the cluster (it claims no jobs and does not run for leader)
        Scheduler scheduler = Scheduler.builder(dataSource).schema(options.getOrDefault("schema", "pgjobs")).build();
        if (!options.containsKey("no-migrate")) {
            scheduler.migrate();
        }
        DashboardServer server = start(new DashboardServlet(scheduler, auth), options.getOrDefault("host", "0.0.0.0"),
                Integer.parseInt(options.getOrDefault("port", "8080")), options.getOrDefault("path", "/"));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception e) {
                System.err.println("stopping the dashboard failed: " + e);
            }
            dataSource.close();
        }));
        System.out.println("pgjobs dashboard at " + server.uri());
        server.server.join();
    }

    /** {@code --name value} arguments over {@code PGJOBS_*} environment variables over nothing. */
    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        Map<String, String> env = System.getenv();
        for (String name : OPTIONS) {
            String key = switch (name) {
                case "jdbc-url" -> "PGJOBS_JDBC_URL";
                case "user" -> "PGJOBS_DB_USER";
                case "password" -> "PGJOBS_DB_PASSWORD";
                default -> "PGJOBS_DASHBOARD_" + name.toUpperCase().replace('-', '_');
            };
            if (env.get(key) != null) {
                options.put(name, env.get(key));
            }
        }
        for (int i = 0; i < args.length; i++) {
            String name = args[i].startsWith("--") ? args[i].substring(2) : null;
            if (name == null || !OPTIONS.contains(name)) {
                throw new IllegalArgumentException("unknown option '" + args[i] + "'; options: --" + String.join(", --", OPTIONS));
            }
            if (name.equals("no-migrate")) {
                options.put(name, "true");
            } else if (i + 1 >= args.length) {
                throw new IllegalArgumentException("--" + name + ": needs a value");
            } else {
                options.put(name, args[++i]);
            }
        }
        return options;
    }

    private static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("--" + name + " is required" + (name.equals("users")
                    ? ": the standalone dashboard is closed by default; give users as name:password:role,..." : ""));
        }
        return value;
    }
}
