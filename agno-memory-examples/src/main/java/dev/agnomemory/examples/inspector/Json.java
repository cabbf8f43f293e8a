package dev.agnomemory.examples.inspector;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintStream;

/** The {@code --json} output of the listings: one pretty-printed UTF-8 document per command. */
final class Json {

    private Json() {
    }

    /** What goes into the document. */
    @FunctionalInterface
    interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    static void write(PrintStream out, Body body) {
        try (JsonGenerator g = SessionJson.generator(out)) {
            body.write(g);
            g.writeRaw('\n');
        } catch (IOException e) {
            throw InspectorException.failed("writing JSON failed: " + Display.oneLine(e.toString()));
        }
        out.flush();
    }
}
