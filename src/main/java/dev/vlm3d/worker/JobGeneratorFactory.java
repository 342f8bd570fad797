package dev.vlm3d.worker;

/**
 * Creates the generator of one worker for one device ("cpu", "gpu0", ...). The engine issue provides this bean;
 * when no bean of this type exists, workers do not start (see {@link WorkerPool}).
 */
@FunctionalInterface
public interface JobGeneratorFactory {

    JobGenerator create(String device) throws Exception;
}
