package dev.vlm3d.jobs;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds one connection that LISTENs on the queue's channels and fans notifications out to in-process subscribers:
 * "queued" wakes idle workers, "changed" drives SSE streams and cancellation of running jobs. Notifications are an
 * optimisation only: workers also poll and SSE streams also re-read, so a dropped connection delays, never loses,
 * anything. After a reconnect every subscriber gets a wake-up so it re-reads what it may have missed.
 */
public class JobNotificationListener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JobNotificationListener.class);
    private static final int POLL_MILLIS = 500;

    private final DataSource dataSource;
    private final JobChannels channels;
    private final List<Runnable> queuedSubscribers = new CopyOnWriteArrayList<>();
    private final List<Consumer<UUID>> changeSubscribers = new CopyOnWriteArrayList<>();
    private final List<Runnable> reconnectSubscribers = new CopyOnWriteArrayList<>();
    private volatile boolean running;
    private volatile boolean connected;
    private Thread thread;

    public JobNotificationListener(DataSource dataSource, JobChannels channels) {
        this.dataSource = dataSource;
        this.channels = channels;
    }

    public synchronized void start() {
        if (running) return;
        running = true;
        thread = new Thread(this::loop, "vlm3d-pg-listener");
        thread.setDaemon(true);
        thread.start();
    }

    public boolean isConnected() {
        return connected;
    }

    public void onQueued(Runnable subscriber) {
        queuedSubscribers.add(subscriber);
    }

    public void onChanged(Consumer<UUID> subscriber) {
        changeSubscribers.add(subscriber);
    }

    public void removeChanged(Consumer<UUID> subscriber) {
        changeSubscribers.remove(subscriber);
    }

    /** Called after the listening connection was (re)established: subscribers should re-read their state. */
    public void onReconnect(Runnable subscriber) {
        reconnectSubscribers.add(subscriber);
    }

    private void loop() {
        long backoffMillis = 200;
        while (running) {
            try (Connection connection = dataSource.getConnection()) {
                connection.setAutoCommit(true);
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN \"" + channels.queued() + "\"");
                    statement.execute("LISTEN \"" + channels.changed() + "\"");
                }
                connected = true;
                backoffMillis = 200;
                reconnectSubscribers.forEach(JobNotificationListener::safely);
                queuedSubscribers.forEach(JobNotificationListener::safely);
                PGConnection pg = connection.unwrap(PGConnection.class);
                while (running) {
                    PGNotification[] notifications = pg.getNotifications(POLL_MILLIS);
                    if (notifications == null) {
                        continue;
                    }
                    dispatch(notifications);
                }
            } catch (SQLException | RuntimeException e) {
                connected = false;
                if (!running) break;
                log.warn(
                        "job notification listener lost its connection, reconnecting in {} ms: {}",
                        backoffMillis,
                        e.toString());
                sleep(backoffMillis);
                backoffMillis = Math.min(backoffMillis * 2, 10_000);
            }
        }
        connected = false;
    }

    private void dispatch(PGNotification[] notifications) {
        boolean queued = false;
        for (PGNotification n : notifications) {
            if (n.getName().equals(channels.queued())) {
                queued = true;
            } else if (n.getName().equals(channels.changed())) {
                UUID id;
                try {
                    id = UUID.fromString(n.getParameter());
                } catch (IllegalArgumentException e) {
                    continue;
                }
                for (Consumer<UUID> subscriber : changeSubscribers) {
                    safely(() -> subscriber.accept(id));
                }
            }
        }
        if (queued) {
            queuedSubscribers.forEach(JobNotificationListener::safely);
        }
    }

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            log.warn("job notification subscriber failed", e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
