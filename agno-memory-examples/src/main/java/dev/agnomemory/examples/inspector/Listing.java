package dev.agnomemory.examples.inspector;

import java.io.PrintStream;
import java.util.List;
import java.util.function.BiFunction;

/**
 * One page of a listing: {@code --offset N} and {@code --limit N} (default {@value #DEFAULT_LIMIT}). A listing
 * asks the store for one item more than the page, so it can say that more follow and how to see them, without
 * counting everything.
 *
 * @param offset how many items to skip
 * @param limit how many to show at most
 */
record Listing(int offset, int limit) {

    static final int DEFAULT_LIMIT = 50;

    /** The options every listing accepts. */
    static final java.util.Map<String, String> OPTIONS = java.util.Map.of("offset", "N", "limit", "N");

    static Listing of(Arguments args) {
        return new Listing(args.intOption("offset", 0, 0), args.intOption("limit", DEFAULT_LIMIT, 1));
    }

    /**
     * @param fetch reads {@code (offset, limit)} items from the store
     * @return this page's items, and whether more follow
     */
    <T> Page<T> read(BiFunction<Integer, Integer, List<T>> fetch) {
        List<T> items = fetch.apply(offset, limit == Integer.MAX_VALUE ? limit : limit + 1);
        boolean more = items.size() > limit;
        return new Page<>(more ? items.subList(0, limit) : items, more);
    }

    /** One page of items. */
    record Page<T>(List<T> items, boolean more) {
    }

    /** The last line of a listing: how many were shown and, when more follow, how to see them. */
    void printFooter(PrintStream out, Page<?> page, String one, String many) {
        int shown = page.items().size();
        String what = Sessions.count(shown, one, many);
        if (offset > 0) {
            what += " (from number " + (offset + 1) + ")";
        }
        if (page.more()) {
            what += "; more follow: run again with --offset " + (offset + shown);
        }
        out.println(what);
    }
}
