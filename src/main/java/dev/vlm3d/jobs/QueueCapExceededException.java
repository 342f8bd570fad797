package dev.vlm3d.jobs;

/** The owner already has as many queued jobs as its key allows. */
public class QueueCapExceededException extends RuntimeException {

    private final int cap;

    public QueueCapExceededException(int cap) {
        super("this API key already has " + cap + " queued jobs, the most it may have");
        this.cap = cap;
    }

    public int cap() {
        return cap;
    }
}
