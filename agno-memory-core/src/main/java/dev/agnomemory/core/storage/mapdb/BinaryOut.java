package dev.agnomemory.core.storage.mapdb;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A growable byte buffer with the primitive encodings of the store format. Strings are written as UTF-8 when they
 * are well-formed Unicode and as UTF-16 otherwise, so any Java string (unpaired surrogates included) round-trips
 * exactly.
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
        // Raw UTF-16 code units: Java's UTF-16 encoder would replace unpaired surrogates too.
        writeByte(STRING_UTF16);
        int n = s.length();
        writeInt(n * 2);
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

    private static byte[] strictUtf8(String s) {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            ByteBuffer buffer = encoder.encode(CharBuffer.wrap(s));
            byte[] out = new byte[buffer.remaining()];
            buffer.get(out);
            return out;
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
