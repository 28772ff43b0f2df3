package io.pgjobs.admin;

import java.util.List;

/**
 * One queue's recent work for its sparklines: its finished attempts per time bucket of the span ({@code stats},
 * a point for every bucket, zero where nothing finished; empty when nothing finished in the whole span) and its
 * sampled lag ({@code lag}, as {@link Overview.QueueLag}'s points: none where it was not sampled).
 *
 * @param queue the queue
 * @param stats its finished attempts per time bucket
 * @param lag its sampled lag
 */
public record QueueActivity(String queue, List<Overview.StatsPoint> stats, List<Overview.LagPoint> lag) {}
