package dev.vlm3d.api;

import java.util.List;

public record ArtifactListResponse(List<ArtifactResponse> artifacts) {}
