package dev.agnomemory.core.storage.mapdb;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A growable byte buffer with the primitive encodings of the store formats. Strings are written as UTF-8 when they
 * are well-formed Unicode and as UTF-16 otherwise, so any Java string (unpaired surrogates included) round-trips
 * exactly.
 *
 * <p>Two families of encodings: the fixed-width ones ({@link #writeInt}, {@link #writeString}, ...) of journal format
 * 1, still written for a few fixed fields; and the compact ones of format 2 ({@link #writeVarLong},
 * {@link #writeText}, {@link #writeTime}, ...), whose lengths and numbers take as few bytes as their values need.
 */
final class BinaryOut {

    static final byte STRING_NULL = 0;
    static final byte STRING_UTF8 = 1;
    static final byte STRING_UTF16 = 2;

    private byte[] bytes;
    private int size;

    BinaryOut() {
        this(256);
    }

    BinaryOut(int capacity) {
        bytes = new byte[capacity];
    }

    private void ensure(int more) {
        int needed = size + more;
        if (needed < 0) {
            throw new IllegalArgumentException("value too large to encode");
        }
        if (needed > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(needed, bytes.length * 2));
        }
    }

    BinaryOut writeByte(int b) {
        ensure(1);
        bytes[size++] = (byte) b;
        return this;
    }

    BinaryOut writeBoolean(boolean b) {
        return writeByte(b ? 1 : 0);
    }

    BinaryOut writeInt(int v) {
        ensure(4);
        bytes[size++] = (byte) (v >>> 24);
        bytes[size++] = (byte) (v >>> 16);
        bytes[size++] = (byte) (v >>> 8);
        bytes[size++] = (byte) v;
        return this;
    }

    BinaryOut writeLong(long v) {
        writeInt((int) (v >>> 32));
        return writeInt((int) v);
    }

    BinaryOut writeBytes(byte[] b) {
        writeInt(b.length);
        return writeRaw(b, 0, b.length);
    }

    BinaryOut writeRaw(byte[] b, int offset, int length) {
        ensure(length);
        System.arraycopy(b, offset, bytes, size, length);
        size += length;
        return this;
    }

    /** Writes a possibly null string. */
    BinaryOut writeString(String s) {
        if (s == null) {
            return writeByte(STRING_NULL);
        }
        byte[] utf8 = strictUtf8(s);
        if (utf8 != null) {
            writeByte(STRING_UTF8);
            return writeBytes(utf8);
        }
        writeByte(STRING_UTF16);
        writeInt(s.length() * 2);
        return writeUtf16(s);
    }

    /** Raw UTF-16 code units: Java's UTF-16 encoder would replace unpaired surrogates too. */
    private BinaryOut writeUtf16(String s) {
        int n = s.length();
        ensure(n * 2);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            bytes[size++] = (byte) (c >>> 8);
            bytes[size++] = (byte) c;
        }
        return this;
    }

    BinaryOut writeInstant(Instant t) {
        writeLong(t.getEpochSecond());
        return writeInt(t.getNano());
    }

    BinaryOut writeOptionalInstant(Instant t) {
        writeBoolean(t != null);
        return t == null ? this : writeInstant(t);
    }

    BinaryOut writeStrings(List<String> list) {
        writeInt(list.size());
        for (String s : list) {
            writeString(s);
        }
        return this;
    }

    /** Writes the map with sorted keys so equal maps encode to equal bytes. */
    BinaryOut writeStringMap(Map<String, String> map) {
        writeInt(map.size());
        for (Map.Entry<String, String> e : new TreeMap<>(map).entrySet()) {
            writeString(e.getKey());
            writeString(e.getValue());
        }
        return this;
    }

    // ---- format 2: compact encodings ----

    /** An unsigned LEB128 number: 7 bits per byte, low bits first; negative values take 10 bytes. */
    BinaryOut writeVarLong(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            bytes[size++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        bytes[size++] = (byte) v;
        return this;
    }

    BinaryOut writeVarInt(int v) {
        return writeVarLong(v & 0xFFFFFFFFL);
    }

    /** A signed number, zigzag-encoded so small negative values stay short. */
    BinaryOut writeSignedVarLong(long v) {
        return writeVarLong((v << 1) ^ (v >> 63));
    }

    /**
     * A possibly null string: a number holding the byte length and the encoding ({@code length << 2 | kind}, kind 0
     * null, 1 UTF-8, 2 raw UTF-16 code units for strings with unpaired surrogates), then the bytes.
     */
    BinaryOut writeText(String s) {
        if (s == null) {
            return writeVarLong(0);
        }
        byte[] utf8 = strictUtf8(s);
        if (utf8 != null) {
            writeVarLong(((long) utf8.length << 2) | STRING_UTF8);
            return writeRaw(utf8, 0, utf8.length);
        }
        writeVarLong(((long) s.length() * 2 << 2) | STRING_UTF16);
        return writeUtf16(s);
    }

    /** A time to the nanosecond: signed seconds, then nanoseconds. */
    BinaryOut writeTime(Instant t) {
        writeSignedVarLong(t.getEpochSecond());
        return writeVarInt(t.getNano());
    }

    BinaryOut writeOptionalTime(Instant t) {
        writeBoolean(t != null);
        return t == null ? this : writeTime(t);
    }

    BinaryOut writeTexts(List<String> list) {
        writeVarInt(list.size());
        for (String s : list) {
            writeText(s);
        }
        return this;
    }

    /** Writes the map with sorted keys so equal maps encode to equal bytes. */
    BinaryOut writeTextMap(Map<String, String> map) {
        writeVarInt(map.size());
        for (Map.Entry<String, String> e : new TreeMap<>(map).entrySet()) {
            writeText(e.getKey());
            writeText(e.getValue());
        }
        return this;
    }

    /** Overwrites four bytes written earlier, big-endian. */
    void putInt(int at, int v) {
        bytes[at] = (byte) (v >>> 24);
        bytes[at + 1] = (byte) (v >>> 16);
        bytes[at + 2] = (byte) (v >>> 8);
        bytes[at + 3] = (byte) v;
    }

    /** Overwrites eight bytes written earlier, big-endian. */
    void putLong(int at, long v) {
        putInt(at, (int) (v >>> 32));
        putInt(at + 4, (int) v);
    }

    /** Appends {@code n} zero bytes. */
    BinaryOut writeZeros(int n) {
        ensure(n);
        Arrays.fill(bytes, size, size + n, (byte) 0);
        size += n;
        return this;
    }

    /** Empties the buffer, keeping its capacity. */
    void reset() {
        size = 0;
    }

    /** Empties the buffer and gives back memory a huge value made it take. */
    void shrinkTo(int capacity) {
        size = 0;
        bytes = new byte[capacity];
    }

    int size() {
        return size;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(bytes, size);
    }

    /** The internal array; valid up to {@link #size()} until the next write. */
    byte[] array() {
        return bytes;
    }

    /**
     * The UTF-8 bytes of {@code s}, or null when it holds an unpaired surrogate (which UTF-8 cannot carry). Strings
     * without surrogates, or with only well-formed pairs, encode exactly with {@link String#getBytes}.
     */
    static byte[] strictUtf8(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return null;
                }
            }
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
