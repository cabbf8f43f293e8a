package dev.agnomemory.examples.bench;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * A {@link DataSource} that counts what its connections send to the server: every statement execution
 * ({@code execute*}, a JDBC batch counted once) and every {@code commit} and {@code rollback}. With the PostgreSQL
 * driver each of these is one network round trip (a batch can be more: the driver syncs in groups), so the count is
 * the number of round trips, or a lower bound of it for batches.
 */
final class CountingDataSource implements InvocationHandler {

    private static final Set<String> SENDS = Set.of("execute", "executeQuery", "executeUpdate", "executeBatch",
            "executeLargeUpdate", "executeLargeBatch", "commit", "rollback");

    private final DataSource target;
    private final AtomicLong roundTrips = new AtomicLong();

    private CountingDataSource(DataSource target) {
        this.target = target;
    }

    static CountingDataSource wrap(DataSource target) {
        return new CountingDataSource(target);
    }

    DataSource dataSource() {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
                this);
    }

    long roundTrips() {
        return roundTrips.get();
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        Object result = call(target, method, args);
        if (result instanceof Connection c) {
            return counting(c, Connection.class);
        }
        return result;
    }

    private Object counting(Object delegate, Class<?> type) {
        return Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, a) -> {
            if (SENDS.contains(m.getName())) {
                roundTrips.incrementAndGet();
            }
            Object r = call(delegate, m, a);
            if (r instanceof java.sql.CallableStatement s) {
                return counting(s, java.sql.CallableStatement.class);
            }
            if (r instanceof java.sql.PreparedStatement s) {
                return counting(s, java.sql.PreparedStatement.class);
            }
            if (r instanceof Statement s) {
                return counting(s, Statement.class);
            }
            return r;
        });
    }

    private static Object call(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
