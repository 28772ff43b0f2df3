package io.pgjobs.dashboard;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.Scheduler;
import java.io.PrintStream;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.ForwardedRequestCustomizer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The dashboard on an embedded Jetty 12, standalone ({@link #main}) or started by a test or demo
 * ({@link #start}). Standalone it is closed by default: it refuses to start without dashboard users. See
 * {@link #USAGE} for its options.
 */
public final class DashboardServer implements AutoCloseable {
    static final String USAGE = """
            usage: java -jar scheduler-dashboard-VERSION-standalone.jar --jdbc-url URL --users USERS [options]
              --jdbc-url URL           the database, e.g. jdbc:postgresql://db:5432/app     (PGJOBS_JDBC_URL)
              --user NAME              database user                                      (PGJOBS_DB_USER)
              --password SECRET        database password                                  (PGJOBS_DB_PASSWORD)
              --users LIST             dashboard users, name:password:role,... with role
                                       viewer or operator                          (PGJOBS_DASHBOARD_USERS)
              --host HOST              address to listen on, default 0.0.0.0        (PGJOBS_DASHBOARD_HOST)
              --port PORT              port, default 8080                           (PGJOBS_DASHBOARD_PORT)
              --path PATH              mount path, default /                        (PGJOBS_DASHBOARD_PATH)
              --schema NAME            pgjobs' schema, default pgjobs             (PGJOBS_DASHBOARD_SCHEMA)
              --no-migrate             do not apply pgjobs' migrations on start (PGJOBS_DASHBOARD_NO_MIGRATE)
              --trust-proxy-headers    take the scheme, host, port and client address from a TLS-terminating
                                       proxy's X-Forwarded-* / Forwarded headers; only behind a proxy that
                                       sets them (PGJOBS_DASHBOARD_TRUST_PROXY_HEADERS)
              --help                   this text
            """;
    /** Each option and whether it takes a value; a flag is "true" when given. */
    private static final Map<String, Boolean> OPTIONS = options();

    private final Server server;
    private final URI uri;

    private DashboardServer(Server server, URI uri) {
        this.server = server;
        this.uri = uri;
    }

    private static Map<String, Boolean> options() {
        Map<String, Boolean> options = new LinkedHashMap<>();
        for (String valued : List.of("jdbc-url", "user", "password", "users", "host", "port", "path", "schema")) {
            options.put(valued, true);
        }
        options.put("no-migrate", false);
        options.put("trust-proxy-headers", false);
        options.put("help", false);
        return Map.copyOf(options);
    }

    /**
     * Serves {@code servlet} at {@code http://host:port/path/} (port 0: any free port), trusting no proxy.
     *
     * @param servlet the dashboard
     * @param host the address to listen on
     * @param port the port; 0 for any free port
     * @param path the path it is served under, starting with /
     * @return the running server
     * @throws Exception when the server cannot start
     */
    public static DashboardServer start(DashboardServlet servlet, String host, int port, String path) throws Exception {
        return start(servlet, host, port, path, false);
    }

    /**
     * Serves {@code servlet} at {@code http://host:port/path/}. With {@code trustProxyHeaders} the request's
     * scheme, host, port and client address come from the {@code Forwarded} / {@code X-Forwarded-*} headers of a
     * proxy in front (Jetty's {@link ForwardedRequestCustomizer}), so that the CSRF origin check compares the
     * browser's {@code Origin} with the public address. Only behind a proxy that sets (and overwrites) them:
     * otherwise any client could claim any origin and address.
     *
     * @param servlet the dashboard
     * @param host the address to listen on
     * @param port the port; 0 for any free port
     * @param path the path it is served under, starting with /
     * @param trustProxyHeaders whether to take the request's address from a proxy's forwarded headers
     * @return the running server
     * @throws Exception when the server cannot start
     */
    public static DashboardServer start(DashboardServlet servlet, String host, int port, String path,
                                        boolean trustProxyHeaders) throws Exception {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path: must start with /, got '" + path + "'");
        }
        Server server = new Server();
        HttpConfiguration http = new HttpConfiguration();
        // the Server header and error pages would tell an attacker which Jetty to look up
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        if (trustProxyHeaders) {
            http.addCustomizer(new ForwardedRequestCustomizer());
        }
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);
        server.setErrorHandler(new JsonErrorHandler());
        ServletContextHandler context = new ServletContextHandler("/");
        context.setErrorHandler(new JsonErrorHandler());
        String base = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        context.addServlet(new ServletHolder("pgjobs-dashboard", servlet), base + "/*");
        server.setHandler(context);
        server.start();
        return new DashboardServer(server, URI.create("http://" + host + ":" + connector.getLocalPort() + base + "/"));
    }

    /** {@return where the dashboard's UI is, with the trailing slash} */
    public URI uri() {
        return uri;
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    /**
     * Runs the standalone dashboard ({@code --help} lists its options); exits with a non-zero status on bad options.
     *
     * @param args the command line's options
     * @throws Exception when the server cannot start
     */
    public static void main(String[] args) throws Exception {
        int exit = run(args, System.getenv(), System.out, System.err);
        if (exit != 0) {
            System.exit(exit);
        }
    }

    /**
     * Runs the standalone server until the process ends; a bad option or an unreachable database prints the
     * one error (and for options the usage) and returns 2 or 1 instead of a stack trace.
     */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) throws Exception {
        Map<String, String> options;
        BasicAuth auth;
        int port;
        try {
            options = options(args, env);
            if (options.containsKey("help")) {
                out.print(USAGE);
                return 0;
            }
            required(options, "jdbc-url");
            auth = BasicAuth.parse(required(options, "users"));
            port = port(options.getOrDefault("port", "8080"));
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(options.get("jdbc-url"));
        pool.setUsername(options.get("user"));
        pool.setPassword(options.get("password"));
        pool.setMaximumPoolSize(8);
        pool.setPoolName("pgjobs-dashboard");
        // not Hikari's 30 s: with the database gone, health/ready should say so before a probe gives up
        pool.setConnectionTimeout(3_000);
        // no connection at start: a database that is down for a moment must not keep the dashboard from starting
        pool.setInitializationFailTimeout(-1);
        HikariDataSource dataSource = new HikariDataSource(pool);
        // never started: this process is no node of the cluster (it claims no jobs and does not run for leader)
        Scheduler scheduler = Scheduler.builder(dataSource).schema(options.getOrDefault("schema", "pgjobs")).build();
        if (!options.containsKey("no-migrate")) {
            try {
                scheduler.migrate();
            } catch (RuntimeException e) {
                // Flyway's or the pool's: the database is unreachable or refuses the user, which the message says
                err.println("error: could not migrate pgjobs' schema: " + e.getMessage());
                dataSource.close();
                return 1;
            }
        }
        DashboardServer server = start(new DashboardServlet(scheduler, auth), options.getOrDefault("host", "0.0.0.0"),
                port, options.getOrDefault("path", "/"), options.containsKey("trust-proxy-headers"));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception e) {
                err.println("stopping the dashboard failed: " + e);
            }
            dataSource.close();
        }));
        out.println("pgjobs dashboard at " + server.uri()
                + (options.containsKey("trust-proxy-headers") ? " (trusting the proxy's forwarded headers)" : ""));
        server.server.join();
        return 0;
    }

    /** {@code --name value} arguments over {@code PGJOBS_*} environment variables over nothing. */
    static Map<String, String> options(String[] args, Map<String, String> env) {
        Map<String, String> options = new LinkedHashMap<>();
        for (String name : OPTIONS.keySet()) {
            String key = switch (name) {
                case "jdbc-url" -> "PGJOBS_JDBC_URL";
                case "user" -> "PGJOBS_DB_USER";
                case "password" -> "PGJOBS_DB_PASSWORD";
                default -> "PGJOBS_DASHBOARD_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
            };
            if (env.get(key) != null && !name.equals("help")) {
                options.put(name, env.get(key));
            }
        }
        for (int i = 0; i < args.length; i++) {
            String name = args[i].startsWith("--") ? args[i].substring(2) : null;
            if (name == null || !OPTIONS.containsKey(name)) {
                throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
            if (!OPTIONS.get(name)) {
                options.put(name, "true");
            } else if (i + 1 >= args.length) {
                throw new IllegalArgumentException("--" + name + ": needs a value");
            } else {
                options.put(name, args[++i]);
            }
        }
        return options;
    }

    private static int port(String value) {
        String digits = value.strip();
        if (!digits.matches("\\d{1,5}") || Integer.parseInt(digits) > 65_535) {
            throw new IllegalArgumentException("--port: expected a number from 0 to 65535, got '" + value + "'");
        }
        return Integer.parseInt(digits);
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
