package dev.agnomemory.core.internal;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Argument checks shared by the modules of agno-memory. Internal: not part of the public API and may change
 * without notice.
 */
public final class Require {

    private Require() {
    }

    /**
     * Fails unless {@code value} is a non-null string with at least one non-whitespace character.
     *
     * @param value the argument
     * @param name the parameter name used in the error message
     * @return {@code value}
     * @throws IllegalArgumentException naming the parameter when it is null or blank
     */
    public static String notBlank(String value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
        return value;
    }

    /**
     * Fails unless {@code value} is non-null.
     *
     * @param value the argument
     * @param name the parameter name used in the error message
     * @param <T> the argument type
     * @return {@code value}
     * @throws IllegalArgumentException naming the parameter when it is null
     */
    public static <T> T notNull(T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return value;
    }

    /**
     * Fails unless {@code value} is greater than zero.
     *
     * @param value the argument
     * @param name the parameter name used in the error message
     * @return {@code value}
     */
    public static int positive(int value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be greater than 0, but is " + value);
        }
        return value;
    }

    /**
     * Fails unless {@code value} is zero or greater.
     *
     * @param value the argument
     * @param name the parameter name used in the error message
     * @return {@code value}
     */
    public static long notNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative, but is " + value);
        }
        return value;
    }

    /**
     * An immutable copy of a list that has no null elements; {@code null} becomes the empty list.
     *
     * @param list the argument, may be null
     * @param name the parameter name used in the error message
     * @param <T> the element type
     * @return an unmodifiable copy
     */
    public static <T> List<T> copyOf(Collection<T> list, String name) {
        if (list == null) {
            return List.of();
        }
        for (T element : list) {
            if (element == null) {
                throw new IllegalArgumentException(name + " must not contain null elements");
            }
        }
        return List.copyOf(list);
    }

    /**
     * Checks that a list argument is present, not empty and without null elements.
     *
     * @param list the argument
     * @param name the parameter name used in the error message
     * @param <T> the element type
     * @return an unmodifiable copy
     */
    public static <T> List<T> nonEmptyCopyOf(Collection<T> list, String name) {
        List<T> copy = copyOf(notNull(list, name), name);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        return copy;
    }

    /**
     * An immutable copy of a map that has no null keys or values; {@code null} becomes the empty map.
     *
     * @param map the argument, may be null
     * @param name the parameter name used in the error message
     * @return an unmodifiable copy
     */
    public static Map<String, String> copyOf(Map<String, String> map, String name) {
        if (map == null) {
            return Map.of();
        }
        for (Map.Entry<String, String> e : map.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException(name + " must not contain null keys or values");
            }
        }
        return Map.copyOf(map);
    }
}
