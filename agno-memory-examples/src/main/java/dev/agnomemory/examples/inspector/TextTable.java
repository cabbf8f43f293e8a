package dev.agnomemory.examples.inspector;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A plain text table with left-aligned columns, two spaces apart, lined up by terminal columns (wide characters
 * count two). Cells are made one line; a cell wider than its column's limit is cut with an ellipsis.
 */
final class TextTable {

    /** The widest a cell may be unless its column says otherwise. */
    static final int CELL_LIMIT = 60;

    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();
    private int limit = CELL_LIMIT;

    TextTable(String... header) {
        this.header = List.of(header);
    }

    /**
     * @param columns the widest a cell may be, in terminal columns; {@link Integer#MAX_VALUE} for no limit
     * @return this table
     */
    TextTable cellLimit(int columns) {
        this.limit = columns;
        return this;
    }

    TextTable row(String... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("expected " + header.size() + " cells, got " + cells.length);
        }
        rows.add(Arrays.stream(cells).map(c -> Display.fit(Display.oneLine(c), limit)).toList());
        return this;
    }

    boolean isEmpty() {
        return rows.isEmpty();
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
        return Display.columns(s);
    }
}
