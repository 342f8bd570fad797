package dev.vlm3d.api;

import java.util.Locale;

/**
 * A Range request header read per RFC 9110 §14: {@code bytes=first-[last]} or {@code bytes=-suffix}. Only a single
 * range is served: a header that does not parse, names another unit, or lists several ranges is ignored (the whole
 * content is sent, which §14.2 allows); a well-formed range the content cannot satisfy is {@link #unsatisfiable()}.
 * Positions of any length are read without overflow: beyond {@code Long.MAX_VALUE} they are simply past the end.
 */
record ByteRange(Kind kind, long start, long end) {

    enum Kind {
        IGNORED,
        UNSATISFIABLE,
        PARTIAL
    }

    static ByteRange ignored() {
        return new ByteRange(Kind.IGNORED, 0, 0);
    }

    static ByteRange unsatisfiable() {
        return new ByteRange(Kind.UNSATISFIABLE, 0, 0);
    }

    /** The range {@code header} asks of a representation of {@code size} bytes. */
    static ByteRange parse(String header, long size) {
        if (header == null) return ignored();
        String value = header.strip();
        int eq = value.indexOf('=');
        if (eq <= 0 || !value.substring(0, eq).strip().toLowerCase(Locale.ROOT).equals("bytes")) return ignored();
        String set = value.substring(eq + 1).strip();
        if (set.isEmpty() || set.indexOf(',') >= 0) return ignored();
        int dash = set.indexOf('-');
        if (dash < 0 || set.indexOf('-', dash + 1) >= 0) return ignored();
        String first = set.substring(0, dash);
        String last = set.substring(dash + 1);
        if (first.isEmpty()) {
            long suffix = digits(last);
            if (suffix < 0) return ignored();
            if (suffix == 0 || size == 0) return unsatisfiable();
            return new ByteRange(Kind.PARTIAL, Math.max(0, size - suffix), size - 1);
        }
        long from = digits(first);
        if (from < 0) return ignored();
        long to;
        if (last.isEmpty()) {
            to = Long.MAX_VALUE;
        } else {
            to = digits(last);
            if (to < 0 || to < from) return ignored();
        }
        if (from >= size) return unsatisfiable();
        return new ByteRange(Kind.PARTIAL, from, Math.min(to, size - 1));
    }

    /** A run of ASCII digits as a value saturated at Long.MAX_VALUE, or -1 when it is not one. */
    private static long digits(String text) {
        if (text.isEmpty()) return -1;
        long value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') return -1;
            int d = c - '0';
            value = value > (Long.MAX_VALUE - d) / 10 ? Long.MAX_VALUE : value * 10 + d;
        }
        return value;
    }

    long length() {
        return end - start + 1;
    }
}
