package dev.vlm3d.jobs;

/** A job as claimed by a worker, with the lease that fences the worker's writes. */
public record ClaimedJob(Job job, Lease lease) {}
