package dev.agnomemory.core.storage.mapdb;

/**
 * Message ids are usually random UUIDs ({@code Message.builder} makes one): 36 characters that fit in 16 bytes. Only
 * the canonical lower-case form is packed, so unpacking gives back exactly the string that was stored.
 */
final class Uuids {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Uuids() {
    }

    /** @return the UUID's two halves, or null when {@code s} is not a canonical lower-case UUID */
    static long[] parse(String s) {
        if (s.length() != 36 || s.charAt(8) != '-' || s.charAt(13) != '-' || s.charAt(18) != '-'
                || s.charAt(23) != '-') {
            return null;
        }
        long hi = 0;
        long lo = 0;
        int digits = 0;
        for (int i = 0; i < 36; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                continue;
            }
            char c = s.charAt(i);
            int d;
            if (c >= '0' && c <= '9') {
                d = c - '0';
            } else if (c >= 'a' && c <= 'f') {
                d = c - 'a' + 10;
            } else {
                return null;
            }
            if (digits < 16) {
                hi = hi << 4 | d;
            } else {
                lo = lo << 4 | d;
            }
            digits++;
        }
        return new long[] {hi, lo};
    }

    static String format(long hi, long lo) {
        char[] out = new char[36];
        int p = 0;
        for (int i = 0; i < 32; i++) {
            if (i == 8 || i == 12 || i == 16 || i == 20) {
                out[p++] = '-';
            }
            long half = i < 16 ? hi : lo;
            int shift = (15 - (i % 16)) * 4;
            out[p++] = HEX[(int) (half >>> shift) & 0xF];
        }
        return new String(out);
    }
}
