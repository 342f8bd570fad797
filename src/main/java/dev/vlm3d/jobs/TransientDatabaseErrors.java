package dev.vlm3d.jobs;

import java.sql.SQLException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.RecoverableDataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;

/**
 * Tells a database error that may pass on retry (the connection was reset or terminated, PostgreSQL restarts or
 * fails over, the pool is momentarily exhausted, a deadlock or serialization failure) from one that will not
 * (a constraint violation, a bad statement).
 */
public final class TransientDatabaseErrors {

    private TransientDatabaseErrors() {}

    public static boolean isTransient(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof LeaseLostException) return false;
            if (t instanceof TransientDataAccessException
                    || t instanceof RecoverableDataAccessException
                    || t instanceof DataAccessResourceFailureException
                    || t instanceof CannotCreateTransactionException
                    || t instanceof TransactionSystemException
                    || t instanceof java.net.SocketException
                    || t instanceof java.io.EOFException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                // 08: connection exception; 57P: operator intervention (admin shutdown, crash, cannot connect now);
                // 53: insufficient resources; 40001/40P01: serialization failure, deadlock
                if (state.startsWith("08")
                        || state.startsWith("57P")
                        || state.startsWith("53")
                        || state.equals("40001")
                        || state.equals("40P01")) {
                    return true;
                }
            }
            if (t.getCause() == t) break;
        }
        return false;
    }
}
