package dev.agnomemory.core.storage.postgres;

import dev.agnomemory.core.storage.StorageException;
import java.util.ArrayList;
import java.util.List;

/**
 * How a Java string is stored in a PostgreSQL {@code text} column so that it reads back exactly.
 *
 * <p>PostgreSQL rejects NUL in {@code text}, and a string with an unpaired UTF-16 surrogate has no UTF-8 form. The
 * rules:
 * <ul>
 *   <li>NUL, every unpaired surrogate and the escape character U+FDD0 itself (a Unicode noncharacter, reserved for
 *       exactly this kind of internal use) are written as U+FDD0 followed by the four hex digits of the UTF-16
 *       unit;</li>
 *   <li>every other character is written as it is, so ordinary text is stored unchanged: equality, {@code LIKE}
 *       and full-text search work on it directly;</li>
 *   <li>the mapping is one-to-one, so equal strings are stored equal and unique constraints keep their meaning.</li>
 * </ul>
 *
 * <p>Public only for the PostgreSQL conversation index ({@code dev.agnomemory.core.search}), which writes its texts
 * and ids beside the storage's tables in the same form; not an API for applications.
 */
public final class PgText {

    static final char ESCAPE = '\uFDD0';

    private PgText() {
    }

    /**
     * @param text any text, or null
     * @return the stored form of {@code text}; null stays null
     */
    public static String encode(String text) {
        if (text == null) {
            return null;
        }
        int i = firstToEscape(text);
        if (i < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, i);
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0 || c == ESCAPE) {
                escape(out, c);
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                escape(out, c);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * @param stored a stored form, or null
     * @return the original text of a stored form; null stays null
     * @throws StorageException when the stored form has a malformed escape (it was not written by agno-memory)
     */
    public static String decode(String stored) {
        if (stored == null || stored.indexOf(ESCAPE) < 0) {
            return stored;
        }
        StringBuilder out = new StringBuilder(stored.length());
        for (int i = 0; i < stored.length(); i++) {
            char c = stored.charAt(i);
            if (c != ESCAPE) {
                out.append(c);
                continue;
            }
            if (i + 4 >= stored.length()) {
                throw new StorageException("A stored text has a truncated escape at offset " + i
                        + "; it was not written by agno-memory");
            }
            try {
                out.append((char) Integer.parseInt(stored.substring(i + 1, i + 5), 16));
            } catch (NumberFormatException e) {
                throw new StorageException("A stored text has a malformed escape at offset " + i
                        + "; it was not written by agno-memory", e);
            }
            i += 4;
        }
        return out.toString();
    }

    static String[] encodeAll(List<String> texts) {
        String[] out = new String[texts.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = encode(texts.get(i));
        }
        return out;
    }

    static List<String> decodeAll(Object[] stored) {
        if (stored == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>(stored.length);
        for (Object s : stored) {
            out.add(decode((String) s));
        }
        return out;
    }

    private static int firstToEscape(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0 || c == ESCAPE) {
                return i;
            }
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < text.length()
                        && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else {
                    return i;
                }
            }
        }
        return -1;
    }

    private static void escape(StringBuilder out, char c) {
        String hex = Integer.toHexString(c);
        out.append(ESCAPE).append("0000", hex.length(), 4).append(hex);
    }
}
