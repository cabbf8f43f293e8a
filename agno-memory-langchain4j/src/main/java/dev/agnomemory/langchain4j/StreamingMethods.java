package dev.agnomemory.langchain4j;

import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.spi.ServiceHelper;
import dev.langchain4j.spi.services.TokenStreamAdapter;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tells whether an AI service call streams: its method returns a {@link TokenStream} (or a type a LangChain4j
 * {@link TokenStreamAdapter} makes of one, such as a Reactor {@code Flux}). LangChain4j's started event does not
 * say so, but a streaming call must take its turn only when the stream starts, so the method is looked up by the
 * interface and method name and the arguments the event carries. Results are cached per method.
 */
final class StreamingMethods {

    private static final Collection<TokenStreamAdapter> ADAPTERS = loadAdapters();
    private static final Map<String, Boolean> CACHE = new ConcurrentHashMap<>();

    private StreamingMethods() {
    }

    static boolean isStreaming(InvocationContext context) {
        if (context.interfaceName() == null || context.methodName() == null) {
            return false;
        }
        List<Object> args = context.methodArguments() == null ? List.of() : context.methodArguments();
        String key = context.interfaceName() + '#' + context.methodName() + '/' + args.size();
        Boolean cached = CACHE.get(key);
        if (cached != null) {
            return cached;
        }
        Boolean found = lookUp(context.interfaceName(), context.methodName(), args);
        if (found == null) {
            return false; // overloads that disagree: decided per call, not cached
        }
        CACHE.put(key, found);
        return found;
    }

    /** @return whether the method streams, or null when overloads of that name and arity disagree */
    private static Boolean lookUp(String interfaceName, String methodName, List<Object> args) {
        Class<?> service = load(interfaceName);
        if (service == null) {
            return false;
        }
        List<Method> candidates = new ArrayList<>();
        for (Method m : service.getMethods()) {
            if (m.getName().equals(methodName) && m.getParameterCount() == args.size()) {
                candidates.add(m);
            }
        }
        if (candidates.isEmpty()) {
            return false;
        }
        boolean first = streams(candidates.get(0).getGenericReturnType());
        for (Method m : candidates) {
            if (streams(m.getGenericReturnType()) != first) {
                return matchByArguments(candidates, args);
            }
        }
        return first;
    }

    private static Boolean matchByArguments(List<Method> candidates, List<Object> args) {
        for (Method m : candidates) {
            Class<?>[] types = m.getParameterTypes();
            boolean fits = true;
            for (int i = 0; i < types.length && fits; i++) {
                Object arg = args.get(i);
                fits = arg == null ? !types[i].isPrimitive() : wrap(types[i]).isInstance(arg);
            }
            if (fits) {
                return streams(m.getGenericReturnType());
            }
        }
        return null;
    }

    private static boolean streams(Type returnType) {
        if (returnType == TokenStream.class) {
            return true;
        }
        for (TokenStreamAdapter adapter : ADAPTERS) {
            if (adapter.canAdaptTokenStreamTo(returnType)) {
                return true;
            }
        }
        return false;
    }

    private static Class<?> load(String name) {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        for (ClassLoader loader : new ClassLoader[] {context, StreamingMethods.class.getClassLoader()}) {
            if (loader == null) {
                continue;
            }
            try {
                return Class.forName(name, false, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                // try the next loader
            }
        }
        return null;
    }

    private static Class<?> wrap(Class<?> type) {
        if (!type.isPrimitive()) {
            return type;
        }
        return switch (type.getName()) {
            case "int" -> Integer.class;
            case "long" -> Long.class;
            case "boolean" -> Boolean.class;
            case "double" -> Double.class;
            case "float" -> Float.class;
            case "short" -> Short.class;
            case "byte" -> Byte.class;
            case "char" -> Character.class;
            default -> Void.class;
        };
    }

    private static Collection<TokenStreamAdapter> loadAdapters() {
        try {
            return ServiceHelper.loadFactories(TokenStreamAdapter.class);
        } catch (RuntimeException | LinkageError e) {
            return List.of();
        }
    }
}
