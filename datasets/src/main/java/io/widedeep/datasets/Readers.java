package io.widedeep.datasets;

import io.widedeep.core.config.OptionException;
import io.widedeep.core.spec.FeatureSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** Opens a file of one of the supported formats as an ordered event stream. */
public final class Readers {
    public static final List<String> FORMATS = List.of("csv", "criteo", "avazu", "movielens", "obd");

    private Readers() {}

    public static EventReader open(String format, Path path, FeatureSpec spec) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new NoSuchFileException(path.toString(), null, "no such data file");
        }
        return switch (format) {
            case "csv" -> new CsvReader(path, spec);
            case "criteo" -> new CriteoReader(path);
            case "avazu" -> new AvazuReader(path);
            case "movielens" -> new MovieLensReader(path);
            case "obd" -> new ObdReader(path);
            default -> throw new OptionException("--format", "must be one of " + FORMATS + ", got '" + format + "'");
        };
    }

    /** The spec shipped for a format (csv has none: its columns are the user's). */
    public static FeatureSpec defaultSpec(String format) {
        if (format.equals("csv")) {
            throw new OptionException("--spec", "the csv format has no default spec; pass --spec with an 'input' section");
        }
        return FeatureSpec.builtIn(format);
    }
}
