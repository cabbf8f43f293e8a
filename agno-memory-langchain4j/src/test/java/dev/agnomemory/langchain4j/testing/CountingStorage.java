package dev.agnomemory.langchain4j.testing;

import dev.agnomemory.core.storage.MemoryStorage;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link MemoryStorage} that passes every call to another and records it as {@code "method(firstArgument)"},
 * so tests can count the reads a feature makes.
 */
public final class CountingStorage {

    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<String> signatures = new CopyOnWriteArrayList<>();
    private final MemoryStorage proxy;

    public CountingStorage(MemoryStorage target) {
        this.proxy = (MemoryStorage) Proxy.newProxyInstance(MemoryStorage.class.getClassLoader(),
                new Class<?>[] {MemoryStorage.class}, (p, method, args) -> {
                    calls.add(method.getName() + "(" + (args == null || args.length == 0 ? "" : args[0]) + ")");
                    signatures.add(method.getName() + "/" + (args == null ? 0 : args.length));
                    try {
                        return method.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** @return the storage to hand to the code under test */
    public MemoryStorage storage() {
        return proxy;
    }

    /** @return how many calls were recorded as exactly {@code call}, for example {@code "memories(bob)"} */
    public long count(String call) {
        return calls.stream().filter(call::equals).count();
    }

    /** @return how many calls of the method with that name and number of arguments were recorded */
    public long count(String method, int arguments) {
        return signatures.stream().filter((method + "/" + arguments)::equals).count();
    }

    public void reset() {
        calls.clear();
        signatures.clear();
    }
}
