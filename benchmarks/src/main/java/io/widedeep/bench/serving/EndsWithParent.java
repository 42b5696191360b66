package io.widedeep.bench.serving;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * {@code EndsWithParent MAIN_CLASS ARGS...}: runs another main class in this JVM and ends the JVM
 * (shutdown hooks included) when its standard input ends. load-bench starts every process of its own
 * (the server, the paced client, the stall meters) through it and holds the other end of each pipe;
 * the kernel closes that end when load-bench exits however it exits, {@code kill -9} included, so none
 * of them is left behind (a server left running keeps its port, heap and feeds for good).
 */
public final class EndsWithParent {
    private EndsWithParent() {}

    public static void main(String[] args) throws Throwable {
        Thread watch = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // nothing is sent; only the end matters
                }
            } catch (IOException e) {
                // a broken pipe is an end too
            }
            System.exit(0);
        }, "parent-watch");
        watch.setDaemon(true);
        watch.start();
        try {
            Class.forName(args[0]).getMethod("main", String[].class)
                    .invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
