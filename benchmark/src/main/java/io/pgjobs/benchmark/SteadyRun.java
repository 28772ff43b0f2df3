package io.pgjobs.benchmark;

import java.util.List;
import java.util.Locale;

/**
 * One judged stretch of the steady state at an offered rate: what was produced and completed in it, the backlog
 * each second ({second, jobs}), the jobs unfinished at its start and end (counted exactly), whether it stopped
 * early because it fell too far behind, and where the CPU went.
 */
record SteadyRun(double offered, int seconds, long produced, double completedRate, List<long[]> samples,
                 long unfinishedAtStart, long unfinishedAtEnd, boolean stoppedBehind, String cpuUse) {

    /**
     * Whether the rate was held: the run went its whole length, the producers kept within 5% of the offered rate,
     * and the unfinished jobs grew by at most a second's worth of the offered jobs (at least 1,000: the jobs a node
     * holds running and claimed ahead, and the batches just enqueued). A node that falls behind by a fraction f of
     * the rate leaves f times the run's length more unfinished, so 20 judged seconds tell 5% apart, and 600 a sixth
     * of a percent. Jobs left over from before the run (a probe's lead-in that fell behind) count against it only
     * if they grow.
     */
    boolean sustained() {
        return !stoppedBehind && produced >= offered * seconds * 0.95
                && unfinishedAtEnd - unfinishedAtStart <= Math.max(1_000, offered);
    }

    double producedRate() {
        return seconds == 0 ? 0 : (double) produced / seconds;
    }

    /** Least-squares slope of the backlog over the run's second half, in jobs per second. */
    double trend() {
        return slope(samples.subList(samples.size() / 2, samples.size()));
    }

    long lastBacklog() {
        return samples.isEmpty() ? 0 : samples.getLast()[1];
    }

    long maxBacklog() {
        return samples.stream().mapToLong(s -> s[1]).max().orElse(0);
    }

    /** The rate, produced and completed, the backlog and the verdict, in words. */
    String outcome(double drain) {
        return String.format(Locale.ROOT, "%s (%s of the drain): %s produced, %s completed, backlog trend %+.1f "
                        + "jobs/s, %d unfinished at the start, %d at the end%s -> %s", Report.jobsPerS(offered),
                ratio(offered, drain), Report.jobsPerS(producedRate()), Report.jobsPerS(completedRate), trend(),
                unfinishedAtStart, unfinishedAtEnd, stoppedBehind ? ", stopped behind after " + seconds + " s" : "",
                sustained() ? "sustained" : "not sustained");
    }

    /** {@code rate} over the one-node drain, or "n/a" when no drain ran in this run. */
    static String ratio(double rate, double drain) {
        return Double.isNaN(drain) ? "n/a" : String.format(Locale.ROOT, "%.2f", rate / drain);
    }

    /** Least-squares slope of backlog over time, in jobs per second. */
    private static double slope(List<long[]> samples) {
        double n = samples.size(), sx = 0, sy = 0, sxy = 0, sxx = 0;
        for (long[] s : samples) {
            sx += s[0];
            sy += s[1];
            sxy += (double) s[0] * s[1];
            sxx += (double) s[0] * s[0];
        }
        double denominator = n * sxx - sx * sx;
        return denominator == 0 ? 0 : (n * sxy - sx * sy) / denominator;
    }
}
