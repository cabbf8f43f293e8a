package dev.agnomemory.examples.inspector;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/** How the inspector writes times and text. */
final class Display {

    /** Longest content shown without {@code --full}, in code points. */
    static final int SHORT_LIMIT = 160;
    static final String ELLIPSIS = "…";

    private Display() {
    }

    /** @return the instant in UTC to the second, for example {@code 2025-06-01T10:15:30Z} */
    static String time(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** @return the instant as {@link #time}, or {@code none} */
    static String time(Optional<Instant> instant) {
        return instant.map(Display::time).orElse("none");
    }

    /**
     * Text on one line: line breaks become {@code ↵}, other control characters {@code \}{@code uXXXX} escapes.
     */
    static String oneLine(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                continue;
            }
            if (c == '\n' || c == '\r') {
                b.append('↵');
            } else if (c == '\t') {
                b.append(' ');
            } else if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * @param text any text
     * @return {@link #oneLine} of the text, cut to {@link #SHORT_LIMIT} code points with an ellipsis when longer
     */
    static String shortened(String text) {
        String line = oneLine(text);
        if (line.codePointCount(0, line.length()) <= SHORT_LIMIT) {
            return line;
        }
        return line.substring(0, line.offsetByCodePoints(0, SHORT_LIMIT - 1)) + ELLIPSIS;
    }

    /**
     * @param text multi-line text
     * @param indent put before every line after the first
     * @return the text verbatim, its continuation lines indented
     */
    static String indented(String text, String indent) {
        return text.replace("\r\n", "\n").replace("\n", "\n" + indent);
    }
}
