package dev.vlm3d.api;

import java.util.List;

/** One page of jobs, newest first; pass {@code next_cursor} as {@code cursor} to get the next page. */
public record JobListResponse(List<JobResponse> jobs, String nextCursor) {}
