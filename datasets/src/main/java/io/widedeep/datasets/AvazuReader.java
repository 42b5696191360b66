package io.widedeep.datasets;

import io.widedeep.schemas.ClickEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

/**
 * Avazu CTR CSV ({@code id,click,hour,C1,banner_pos,site_id,...,C21}). The user is the device id,
 * or device ip + model for the anonymous device id; the item is C14 (the ad); the time is the hour
 * (YYMMDDHH). Every other column becomes {@code context.<column name>}.
 */
public final class AvazuReader extends LineReader {
    private static final String ANONYMOUS_DEVICE = "a99f214a";
    private String[] names;
    private int idCol, clickCol, hourCol, deviceIdCol, deviceIpCol, deviceModelCol, itemCol;

    public AvazuReader(Path path) throws IOException {
        super(path, true);
    }

    @Override
    protected void header(String line) {
        if (line == null) throw new IllegalArgumentException("empty Avazu file");
        names = split(line, ',', 24);
        idCol = col("id");
        clickCol = col("click");
        hourCol = col("hour");
        deviceIdCol = col("device_id");
        deviceIpCol = col("device_ip");
        deviceModelCol = col("device_model");
        itemCol = col("C14");
    }

    private int col(String name) {
        for (int i = 0; i < names.length; i++) if (names[i].equals(name)) return i;
        throw new IllegalArgumentException("Avazu header lacks column '" + name + "'");
    }

    @Override
    protected ClickEvent parse(String line) {
        String[] f = split(line, ',', names.length);
        if (f.length != names.length) {
            throw new IllegalArgumentException("expected " + names.length + " columns, got " + f.length);
        }
        String hour = f[hourCol];
        if (hour.length() != 8) throw new IllegalArgumentException("hour must be YYMMDDHH, got '" + hour + "'");
        long time = LocalDateTime.of(2000 + Integer.parseInt(hour.substring(0, 2)), Integer.parseInt(hour.substring(2, 4)),
                Integer.parseInt(hour.substring(4, 6)), Integer.parseInt(hour.substring(6, 8)), 0)
                .toInstant(ZoneOffset.UTC).toEpochMilli();
        String user = ANONYMOUS_DEVICE.equals(f[deviceIdCol]) ? f[deviceIpCol] + "/" + f[deviceModelCol] : f[deviceIdCol];
        Map<String, String> ctx = new HashMap<>(32);
        for (int i = 0; i < f.length; i++) {
            if (i != idCol && i != clickCol && i != hourCol) ctx.put(names[i], f[i]);
        }
        ctx.put("hour_of_day", hour.substring(6, 8));
        return Events.labelled(f[idCol], user, f[itemCol], time, ctx, new HashMap<>(), Integer.parseInt(f[clickCol]));
    }
}
