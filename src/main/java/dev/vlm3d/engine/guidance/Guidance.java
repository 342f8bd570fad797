package dev.vlm3d.engine.guidance;

/** The guidance term of one job: turns the renders of one step into a loss whose gradient is the SDS gradient. */
public interface Guidance extends AutoCloseable {

    GuidanceResult compute(GuidanceInput input);

    @Override
    void close();
}
