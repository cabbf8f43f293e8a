package dev.agnomemory.examples.inspector;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A plain text table with left-aligned columns, two spaces apart. */
final class TextTable {

    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    TextTable(String... header) {
        this.header = List.of(header);
    }

    TextTable row(String... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("expected " + header.size() + " cells, got " + cells.length);
        }
        rows.add(Arrays.stream(cells).map(Display::oneLine).toList());
        return this;
    }

    void print(PrintStream out) {
        int[] widths = new int[header.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = width(header.get(c));
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], width(row.get(c)));
            }
        }
        printRow(out, header, widths);
        for (List<String> row : rows) {
            printRow(out, row, widths);
        }
    }

    private static void printRow(PrintStream out, List<String> cells, int[] widths) {
        StringBuilder b = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            String cell = cells.get(c);
            b.append(cell);
            if (c < cells.size() - 1) {
                b.append(" ".repeat(widths[c] - width(cell) + 2));
            }
        }
        out.println(b);
    }

    private static int width(String s) {
        return s.codePointCount(0, s.length());
    }
}
