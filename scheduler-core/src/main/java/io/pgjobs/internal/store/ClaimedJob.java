package io.pgjobs.internal.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A job this node has just claimed; {@code queueWaitMs} is how long it was due before the claim (database time),
 * {@code claimSentNanos} the node's {@link System#nanoTime()} just before the claim statement was sent. The
 * database started the claim (the job's {@code started_at}, and its lease) after that moment, so the time the node
 * measures from it is never less than the time the database counts from the claim, however long the claim's answer
 * took to be read (a node frozen while it waited for it, say): the runtime starts a job only while that time is
 * well within the lease, and its attempt's end is written as the claim's database time plus that time (see
 * {@link Completion}).
 * {@code argsSha256} is the SHA-256 of its args stored when it was inserted (V34), null for a job inserted before.
 */
public record ClaimedJob(long id, String kind, String queue, int attempt, int maxAttempts, String argsJson,
                         String metadataJson, long queueWaitMs, long claimSentNanos, byte[] argsSha256) {
    /**
     * SHA-256, looked up once and never used itself: every hash (each claimed job's check, each checksum the bulk
     * enqueue computes in {@link JsonbText}) is taken with a clone of it, because {@link MessageDigest#getInstance}
     * walks the security providers on each call (a lookup by name, upper-cased keys, a new service object), code a
     * fresh node would interpret and compile on every job's way.
     */
    private static final MessageDigest SHA_256 = sha256Digest();

    /**
     * A claim's query over {@code claim}, a call of a claim function aliased {@code c}: its columns, then the
     * checksum stored with each job. The claim functions do not return it, so it is read from the jobs' rows in
     * the same statement, under its snapshot, which still sees each row as it was before the claim updated it.
     */
    static String selectClaimed(String schema, String claim) {
        return "select c.*, (select j.args_sha256 from %s.jobs j where j.id = c.id) as args_sha256 from %s"
                .formatted(schema, claim);
    }

    /**
     * The job in the current row of a claim's result: the claim function's columns first ({@link #selectClaimed}),
     * or the same columns of a claim of its own, and the checksum as {@code args_sha256}.
     */
    static ClaimedJob read(ResultSet rs, long claimSentNanos) throws SQLException {
        return new ClaimedJob(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getInt(5),
                rs.getString(6), rs.getString(7), rs.getLong(8), claimSentNanos, rs.getBytes("args_sha256"));
    }

    /**
     * The SHA-256 of the args this node read, as hex, when it is not the one stored at the insert; null when they
     * match or the job was inserted without one. The args are hashed as they were read (jsonb's text, in UTF-8),
     * which is what the stored checksum was computed from.
     */
    public String argsMismatch() {
        if (argsSha256 == null) {
            return null;
        }
        byte[] actual = sha256(argsJson);
        return Arrays.equals(actual, argsSha256) ? null : HexFormat.of().formatHex(actual);
    }

    /** The SHA-256 of {@code text} in UTF-8. */
    static byte[] sha256(String text) {
        try {
            return ((MessageDigest) SHA_256.clone()).digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the runtime's SHA-256 cannot be cloned", e);
        }
    }

    private static MessageDigest sha256Digest() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.clone(); // fails here, at the class's loading, rather than at the first job's check
            return digest;
        } catch (NoSuchAlgorithmException | CloneNotSupportedException e) {
            throw new IllegalStateException("every Java runtime has a SHA-256 that can be cloned", e);
        }
    }
}
