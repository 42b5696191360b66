package io.widedeep.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.config.OptionSet;
import io.widedeep.flink.JobOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's table of the training job's options is written for people, but it must say what the
 * code does: every option it names is one the job declares, and every default it gives as a value is
 * the declared default. (The declarations themselves are what {@code --help} prints.)
 */
class ReadmeOptionsTest {
    private static final Pattern ROW = Pattern.compile("^\\| ((?:`[^`]+`(?: / )?)+) \\| ([^|]*) \\|");

    @Test
    void theJobsOptionTableNamesDeclaredOptionsWithTheirDeclaredDefaults() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        String table = readme.substring(readme.indexOf("**Training job**"), readme.indexOf("**Server**"));
        OptionSet declared = JobOptions.OPTIONS;
        int checked = 0, defaults = 0;
        for (String line : table.lines().toList()) {
            Matcher m = ROW.matcher(line);
            if (!m.find()) continue;
            List<String> names = new ArrayList<>();
            for (String n : m.group(1).split(" / ")) names.add(n.replace("`", "").replace("--", "").trim());
            String[] values = m.group(2).split(" / ");
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                assertTrue(declared.names().contains(name), "README names --" + name + ", which the job does not declare");
                checked++;
                if (values.length != names.size()) continue;
                String v = values[i].trim().replace("`", "").replace(",", "");
                if (!v.matches("[0-9.]+|[a-z][a-z0-9:/._-]*") || v.equals("required") || v.equals("none")) continue;
                assertEquals(declared.get(name).defaultValue(), v, "README's default of --" + name);
                defaults++;
            }
        }
        assertTrue(checked >= 35, "the table was found and read: " + checked + " options");
        assertTrue(defaults >= 25, "defaults compared: " + defaults);
    }
}
