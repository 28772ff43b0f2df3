package io.pgjobs.internal.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The SQL of a node's shares of queue-wide concurrency limits (V44's limit_shares and lease_limit_share; see
 * docs/flow-control.md, "Shares of a queue limit").
 */
public final class LimitShareStore {
    /**
     * A share as granted: {@code slots} jobs of the queue may execute on the node at once, for {@code lastsMs}
     * from the grant; {@code fair} is the node's fair part of the limit, {@code othersWaiting} whether another
     * node has fewer slots than it wants and than its fair part.
     */
    public record Grant(int slots, int fair, boolean othersWaiting, long lastsMs) {}

    private final DataSource dataSource;
    private final String leaseSql;

    public LimitShareStore(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.leaseSql = "select * from %s.lease_limit_share(?, ?, ?, ?, ?, ?)".formatted(schema);
    }

    /**
     * Leases {@code nodeId}'s share of {@code queue}'s limit of {@code queueLimit} for {@code leaseMs}, asking for
     * {@code wanted} slots and keeping at least {@code keep} while they are free; a share of no slots that wants
     * none is released.
     */
    public Grant lease(String queue, String nodeId, int queueLimit, int wanted, int keep, long leaseMs)
            throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(leaseSql)) {
                ps.setString(1, queue);
                ps.setString(2, nodeId);
                ps.setInt(3, queueLimit);
                ps.setInt(4, wanted);
                ps.setInt(5, keep);
                ps.setLong(6, leaseMs);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return new Grant(rs.getInt("slots"), rs.getInt("fair"), rs.getBoolean("others_waiting"),
                            rs.getLong("lasts_ms"));
                }
            }
        });
    }
}
