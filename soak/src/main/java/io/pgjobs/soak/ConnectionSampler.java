package io.pgjobs.soak;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/** Counts the soak database's sessions by {@code application_name} every five seconds and keeps the most seen. */
final class ConnectionSampler implements Runnable {
    private final DataSource dataSource;
    private final Map<String, Integer> maxima = new ConcurrentHashMap<>();

    ConnectionSampler(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    Map<String, Integer> maxima() {
        return new TreeMap<>(maxima);
    }

    @Override
    public void run() {
        while (!Thread.currentThread().isInterrupted()) {
            try (Connection c = dataSource.getConnection();
                 PreparedStatement ps = c.prepareStatement("""
                         select coalesce(nullif(application_name, ''), '(unnamed)'), count(*) from pg_stat_activity
                         where datname = current_database() group by 1""");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    maxima.merge(rs.getString(1), rs.getInt(2), Math::max);
                }
            } catch (SQLException e) {
                System.err.println("connection sampler: no sample this time: " + e.getMessage());
            }
            try {
                TimeUnit.SECONDS.sleep(5); // the sampling period
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
