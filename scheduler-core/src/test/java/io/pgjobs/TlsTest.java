package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.testing.Await;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.Key;
import java.security.KeyStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pgjobs over TLS with {@code sslmode=verify-full} (docs/production.md, "TLS"): a PostgreSQL server of the test's
 * own with a certificate for {@code localhost} signed by a CA the test makes (with the JDK's keytool, so the test
 * needs nothing but a JDK); a scheduler runs jobs over it; a host name the certificate does not name, and a CA
 * that did not sign it, are refused with the driver's error saying so.
 */
class TlsTest {
    private static final String PASSWORD = "test-only";

    @TempDir
    static Path dir;
    private static EmbeddedPostgres server;

    @BeforeAll
    static void startServerWithACertificate() throws Exception {
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=pgjobs test CA",
                "-ext", "bc:c", "-validity", "2", "-keystore", "ca.p12");
        keytool("-exportcert", "-alias", "ca", "-keystore", "ca.p12", "-rfc", "-file", "ca.crt");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-validity", "2", "-keystore", "server.p12");
        keytool("-certreq", "-alias", "server", "-keystore", "server.p12", "-file", "server.csr");
        keytool("-gencert", "-alias", "ca", "-keystore", "ca.p12", "-infile", "server.csr", "-outfile", "server.crt",
                "-rfc", "-ext", "SAN=dns:localhost", "-validity", "2");
        writePrivateKey("server.p12", "server", dir.resolve("server.key"));
        // a second CA, which did not sign the server's certificate
        keytool("-genkeypair", "-alias", "other", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=another CA",
                "-ext", "bc:c", "-validity", "2", "-keystore", "other.p12");
        keytool("-exportcert", "-alias", "other", "-keystore", "other.p12", "-rfc", "-file", "other.crt");

        server = EmbeddedPostgres.builder()
                .setServerConfig("ssl", "on")
                .setServerConfig("ssl_cert_file", dir.resolve("server.crt").toString())
                .setServerConfig("ssl_key_file", dir.resolve("server.key").toString())
                .start();
    }

    @AfterAll
    static void stopServer() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    private static String url(String host, String rootCert) {
        return "jdbc:postgresql://" + host + ":" + server.getPort() + "/postgres?user=postgres&sslmode=verify-full"
                + "&sslrootcert=" + dir.resolve(rootCert);
    }

    @Test
    void aSchedulerRunsJobsOverAVerifiedConnection() throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url("localhost", "ca.crt"));
        config.setMaximumPoolSize(12);
        try (HikariDataSource pool = new HikariDataSource(config)) {
            try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select ssl, version from pg_stat_ssl where pid = pg_backend_pid()")) {
                rs.next();
                assertThat(rs.getBoolean(1)).as("the session is encrypted").isTrue();
                assertThat(rs.getString(2)).startsWith("TLSv1.");
            }
            List<String> ran = new ArrayList<>();
            try (Scheduler scheduler = Scheduler.builder(pool)
                    .queue("default", 2)
                    .handler(Secret.class, ctx -> {
                        synchronized (ran) {
                            ran.add(ctx.args().text());
                        }
                        return null;
                    })
                    .build()) {
                scheduler.start();
                scheduler.client().enqueue(new Secret("over TLS"));
                Await.until(Duration.ofSeconds(60), "the job ran", () -> {
                    synchronized (ran) {
                        return ran.contains("over TLS");
                    }
                });
            }
            try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select count(*) from pg_stat_ssl s join pg_stat_activity a using (pid) "
                         + "where a.backend_type = 'client backend' and not s.ssl")) {
                rs.next();
                assertThat(rs.getLong(1)).as("client sessions without TLS").isZero();
            }
        }
    }

    @JobKind("test.secret")
    record Secret(String text) {}

    @Test
    void aHostNameTheCertificateDoesNotNameIsRefused() {
        // the certificate names localhost only; 127.0.0.1 is the same server by another name
        assertThatThrownBy(() -> DriverManager.getConnection(url("127.0.0.1", "ca.crt")).close())
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("The hostname 127.0.0.1 could not be verified");
    }

    @Test
    void aCertificateOfAnotherCaIsRefused() {
        assertThatThrownBy(() -> DriverManager.getConnection(url("localhost", "other.crt")).close())
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("SSL error")
                .rootCause().hasMessageContaining("unable to find valid certification path");
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD, "-noprompt"));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + output);
        }
    }

    /** The server's private key as PKCS#8 PEM, readable only by its owner (PostgreSQL refuses it otherwise). */
    private static void writePrivateKey(String keystore, String alias, Path pem) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(dir.resolve(keystore).toFile())) {
            store.load(in, PASSWORD.toCharArray());
        }
        Key key = store.getKey(alias, PASSWORD.toCharArray());
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded());
        Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n");
        Files.setPosixFilePermissions(pem, PosixFilePermissions.fromString("rw-------"));
    }
}
