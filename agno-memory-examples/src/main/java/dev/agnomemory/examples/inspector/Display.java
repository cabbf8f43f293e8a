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
     * Text on one line that cannot disturb a terminal: line breaks become {@code ↵}, tabs a space, and other
     * control characters, bidirectional overrides (which would reorder the rest of the line) and unpaired
     * surrogates (which no terminal encoding can show) {@code \}{@code uXXXX} escapes.
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
            } else if (Character.isISOControl(c) || isBidiControl(c) || unpairedSurrogate(text, i)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isBidiControl(char c) {
        return (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069') || c == '\u200E'
                || c == '\u200F' || c == '\u061C';
    }

    private static boolean unpairedSurrogate(String text, int i) {
        char c = text.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1));
        }
        return Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(text.charAt(i - 1)));
    }

    /**
     * How many terminal columns a one-line text takes: East Asian wide and full-width characters and emoji take
     * two, combining marks, variation selectors and zero-width characters none, everything else one. Tables line
     * up by this, not by the number of characters.
     */
    static int columns(String line) {
        int width = 0;
        for (int i = 0; i < line.length(); ) {
            int cp = line.codePointAt(i);
            width += columns(cp);
            i += Character.charCount(cp);
        }
        return width;
    }

    private static int columns(int cp) {
        int type = Character.getType(cp);
        if (type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.FORMAT
                || cp == 0x200B) {
            return 0;
        }
        return isWide(cp) ? 2 : 1;
    }

    /** East Asian Wide and Fullwidth ranges (Unicode 15) and the emoji blocks terminals draw two columns wide. */
    private static boolean isWide(int cp) {
        return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x231A && cp <= 0x231B) || (cp >= 0x2329 && cp <= 0x232A)
                || (cp >= 0x23E9 && cp <= 0x23EC) || cp == 0x23F0 || cp == 0x23F3 || (cp >= 0x25FD && cp <= 0x25FE)
                || (cp >= 0x2614 && cp <= 0x2615) || (cp >= 0x2648 && cp <= 0x2653) || cp == 0x267F
                || cp == 0x2693 || cp == 0x26A1 || (cp >= 0x26AA && cp <= 0x26AB) || (cp >= 0x26BD && cp <= 0x26BE)
                || (cp >= 0x26C4 && cp <= 0x26C5) || cp == 0x26CE || cp == 0x26D4 || cp == 0x26EA
                || (cp >= 0x26F2 && cp <= 0x26F3) || cp == 0x26F5 || cp == 0x26FA || cp == 0x26FD || cp == 0x2705
                || (cp >= 0x270A && cp <= 0x270B) || cp == 0x2728 || cp == 0x274C || cp == 0x274E
                || (cp >= 0x2753 && cp <= 0x2755) || cp == 0x2757 || (cp >= 0x2795 && cp <= 0x2797) || cp == 0x27B0
                || cp == 0x27BF || (cp >= 0x2B1B && cp <= 0x2B1C) || cp == 0x2B50 || cp == 0x2B55
                || (cp >= 0x2E80 && cp <= 0x303E) || (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) || (cp >= 0xA960 && cp <= 0xA97F)
                || (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE10 && cp <= 0xFE19)
                || (cp >= 0xFE30 && cp <= 0xFE6F) || (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6)
                || (cp >= 0x16FE0 && cp <= 0x18AFF) || (cp >= 0x1B000 && cp <= 0x1B2FF)
                || (cp >= 0x1F004 && cp <= 0x1F004) || cp == 0x1F0CF || cp == 0x1F18E
                || (cp >= 0x1F191 && cp <= 0x1F19A) || (cp >= 0x1F200 && cp <= 0x1F251)
                || (cp >= 0x1F300 && cp <= 0x1F64F) || (cp >= 0x1F680 && cp <= 0x1F6FF)
                || (cp >= 0x1F7E0 && cp <= 0x1F7EB) || (cp >= 0x1F90C && cp <= 0x1F9FF)
                || (cp >= 0x1FA70 && cp <= 0x1FAFF) || (cp >= 0x20000 && cp <= 0x3FFFD);
    }

    /**
     * @param line one-line text
     * @param max the most columns it may take, at least 1
     * @return the line, cut to {@code max} columns with an ellipsis when wider
     */
    static String fit(String line, int max) {
        if (columns(line) <= max) {
            return line;
        }
        StringBuilder b = new StringBuilder();
        int used = 0;
        for (int i = 0; i < line.length(); ) {
            int cp = line.codePointAt(i);
            int w = columns(cp);
            if (used + w > max - 1) {
                break;
            }
            b.appendCodePoint(cp);
            used += w;
            i += Character.charCount(cp);
        }
        return b.append(ELLIPSIS).toString();
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
