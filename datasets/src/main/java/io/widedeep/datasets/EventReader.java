package io.widedeep.datasets;

import io.widedeep.schemas.ClickEvent;
import java.io.IOException;
import java.util.Iterator;

/** An ordered stream of events read from a file. Labelled formats set {@code label} on each event. */
public interface EventReader extends Iterator<ClickEvent>, AutoCloseable {
    @Override
    void close() throws IOException;
}
