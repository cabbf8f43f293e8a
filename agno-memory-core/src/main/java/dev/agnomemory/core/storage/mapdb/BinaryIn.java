package dev.agnomemory.core.storage.mapdb;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads what {@link BinaryOut} wrote; every read is bounds-checked so damaged bytes fail cleanly. */
final class BinaryIn {

    /** The bytes do not decode: they were damaged or written by something else. */
    static final class MalformedDataException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MalformedDataException(String message) {
            super(message);
        }
    }

    private final byte[] bytes;
    private int position;
    private final int end;

    BinaryIn(byte[] bytes) {
        this(bytes, 0, bytes.length);
    }

    BinaryIn(byte[] bytes, int offset, int length) {
        this.bytes = bytes;
        this.position = offset;
        this.end = offset + length;
    }

    private void need(int n) {
        if (n < 0 || end - position < n) {
            throw new MalformedDataException("truncated value: need " + n + " bytes, " + (end - position) + " left");
        }
    }

    int readByte() {
        need(1);
        return bytes[position++];
    }

    boolean readBoolean() {
        int b = readByte();
        if (b != 0 && b != 1) {
            throw new MalformedDataException("bad boolean " + b);
        }
        return b == 1;
    }

    int readInt() {
        need(4);
        int v = ((bytes[position] & 0xFF) << 24) | ((bytes[position + 1] & 0xFF) << 16)
                | ((bytes[position + 2] & 0xFF) << 8) | (bytes[position + 3] & 0xFF);
        position += 4;
        return v;
    }

    long readLong() {
        long hi = readInt();
        long lo = readInt() & 0xFFFFFFFFL;
        return (hi << 32) | lo;
    }

    byte[] readBytes() {
        int n = readInt();
        need(n);
        byte[] out = new byte[n];
        System.arraycopy(bytes, position, out, 0, n);
        position += n;
        return out;
    }

    String readString() {
        int tag = readByte();
        switch (tag) {
            case BinaryOut.STRING_NULL:
                return null;
            case BinaryOut.STRING_UTF8: {
                int n = readInt();
                need(n);
                String s = new String(bytes, position, n, StandardCharsets.UTF_8);
                position += n;
                return s;
            }
            case BinaryOut.STRING_UTF16: {
                int n = readInt();
                need(n);
                if (n % 2 != 0) {
                    throw new MalformedDataException("odd UTF-16 length " + n);
                }
                return readUtf16(n);
            }
            default:
                throw new MalformedDataException("bad string tag " + tag);
        }
    }

    String readRequiredString() {
        String s = readString();
        if (s == null) {
            throw new MalformedDataException("missing required string");
        }
        return s;
    }

    Instant readInstant() {
        long seconds = readLong();
        int nanos = readInt();
        try {
            return Instant.ofEpochSecond(seconds, nanos);
        } catch (RuntimeException e) {
            throw new MalformedDataException("bad instant " + seconds + "s " + nanos + "ns");
        }
    }

    Instant readOptionalInstant() {
        return readBoolean() ? readInstant() : null;
    }

    int readCount() {
        int n = readInt();
        if (n < 0 || n > end - position) {
            throw new MalformedDataException("bad element count " + n);
        }
        return n;
    }

    List<String> readStrings() {
        int n = readCount();
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(readRequiredString());
        }
        return out;
    }

    Map<String, String> readStringMap() {
        int n = readCount();
        Map<String, String> out = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            out.put(readRequiredString(), readRequiredString());
        }
        return out;
    }

    // ---- format 2: compact encodings (see BinaryOut) ----

    long readVarLong() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            need(1);
            int b = bytes[position++];
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new MalformedDataException("number longer than 10 bytes");
    }

    int readVarInt() {
        long v = readVarLong();
        if (v < 0 || v > 0xFFFFFFFFL) {
            throw new MalformedDataException("number out of range " + v);
        }
        return (int) v;
    }

    /** A count of elements that each take at least one byte: bounded by what is left. */
    int readVarCount() {
        long n = readVarLong();
        if (n < 0 || n > end - position) {
            throw new MalformedDataException("bad element count " + n);
        }
        return (int) n;
    }

    long readSignedVarLong() {
        long v = readVarLong();
        return (v >>> 1) ^ -(v & 1);
    }

    String readText() {
        long header = readVarLong();
        int kind = (int) (header & 3);
        long length = header >>> 2;
        if (kind == BinaryOut.STRING_NULL) {
            if (length != 0) {
                throw new MalformedDataException("bad null text header " + header);
            }
            return null;
        }
        if (length > end - position) {
            throw new MalformedDataException("text of " + length + " bytes, " + (end - position) + " left");
        }
        int n = (int) length;
        if (kind == BinaryOut.STRING_UTF8) {
            String s = new String(bytes, position, n, StandardCharsets.UTF_8);
            position += n;
            return s;
        }
        if (kind != BinaryOut.STRING_UTF16 || n % 2 != 0) {
            throw new MalformedDataException("bad text header " + header);
        }
        return readUtf16(n);
    }

    /** {@code n} bytes of raw UTF-16 code units (n even, available). */
    private String readUtf16(int n) {
        char[] chars = new char[n / 2];
        for (int i = 0; i < chars.length; i++) {
            chars[i] = (char) (((bytes[position] & 0xFF) << 8) | (bytes[position + 1] & 0xFF));
            position += 2;
        }
        return new String(chars);
    }

    String readRequiredText() {
        String s = readText();
        if (s == null) {
            throw new MalformedDataException("missing required text");
        }
        return s;
    }

    Instant readTime() {
        long seconds = readSignedVarLong();
        int nanos = readVarInt();
        try {
            return Instant.ofEpochSecond(seconds, nanos);
        } catch (RuntimeException e) {
            throw new MalformedDataException("bad time " + seconds + "s " + nanos + "ns");
        }
    }

    Instant readOptionalTime() {
        return readBoolean() ? readTime() : null;
    }

    List<String> readTexts() {
        int n = readVarCount();
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(readRequiredText());
        }
        return out;
    }

    Map<String, String> readTextMap() {
        int n = readVarCount();
        Map<String, String> out = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            out.put(readRequiredText(), readRequiredText());
        }
        return out;
    }

    /** Raw bytes of a known length. */
    byte[] readRaw(int n) {
        need(n);
        byte[] out = new byte[n];
        System.arraycopy(bytes, position, out, 0, n);
        position += n;
        return out;
    }

    int position() {
        return position;
    }

    boolean atEnd() {
        return position == end;
    }

    void expectEnd() {
        if (position != end) {
            throw new MalformedDataException((end - position) + " unexpected trailing bytes");
        }
    }
}
