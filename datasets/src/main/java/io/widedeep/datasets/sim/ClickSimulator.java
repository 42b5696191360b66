package io.widedeep.datasets.sim;

import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * A click stream with something real to learn. Users have an age group and a region, items a
 * category, a brand and a price; each user's latent taste derives from their attributes (so it
 * generalises across users) plus a personal part and two favourite categories (to memorise), each
 * item's latent vector from its category and brand, and item popularity drifts as a random walk.
 * An impression is clicked with probability
 * {@code sigmoid(-2.4 + 1.6 * taste.item + popularity + 1.2 * favourite(category))}, the click
 * arriving after a {@link ClickDelay} (by default {@link ClickDelay#REALISTIC}: seconds, with a long tail). {@link #clickProbability} exposes the truth, so the
 * demo can say how much better the model's top-k is than random.
 */
public final class ClickSimulator {
    private static final int DIM = 4;
    private final Random rnd;
    private final int users;
    private final int items;
    private final int[] userAge;
    private final int[] userRegion;
    private final double[][] taste;
    private final int[][] favourites;
    private final int[] itemCategory;
    private final int[] itemBrand;
    private final double[] itemPrice;
    private final double[][] itemVec;
    private final double[] popularity;
    private final PriorityQueue<ClickEvent> pendingClicks =
            new PriorityQueue<>((a, b) -> Long.compare(a.getEventTime(), b.getEventTime()));
    private final ClickDelay delay;
    private long impressions;
    private double lastProbability;

    public ClickSimulator(int users, int items, long seed) {
        this(users, items, seed, ClickDelay.REALISTIC);
    }

    public ClickSimulator(int users, int items, long seed, ClickDelay delay) {
        this.rnd = new Random(seed);
        this.delay = delay;
        this.users = users;
        this.items = items;
        int ages = 5, regions = 8, categories = 12, brands = 30;
        double[][] ageVec = gaussians(ages, DIM, 0.8);
        double[][] regionVec = gaussians(regions, DIM, 0.5);
        double[][] categoryVec = gaussians(categories, DIM, 0.9);
        double[][] brandVec = gaussians(brands, DIM, 0.3);
        userAge = new int[users];
        userRegion = new int[users];
        taste = new double[users][DIM];
        favourites = new int[users][2];
        for (int u = 0; u < users; u++) {
            userAge[u] = rnd.nextInt(ages);
            userRegion[u] = rnd.nextInt(regions);
            for (int d = 0; d < DIM; d++) {
                taste[u][d] = ageVec[userAge[u]][d] + regionVec[userRegion[u]][d] + 0.3 * rnd.nextGaussian();
            }
            favourites[u][0] = rnd.nextInt(categories);
            favourites[u][1] = rnd.nextInt(categories);
        }
        itemCategory = new int[items];
        itemBrand = new int[items];
        itemPrice = new double[items];
        itemVec = new double[items][DIM];
        popularity = new double[items];
        for (int i = 0; i < items; i++) {
            itemCategory[i] = rnd.nextInt(categories);
            itemBrand[i] = rnd.nextInt(brands);
            itemPrice[i] = Math.exp(2 + rnd.nextGaussian());
            for (int d = 0; d < DIM; d++) itemVec[i][d] = categoryVec[itemCategory[i]][d] + brandVec[itemBrand[i]][d];
            popularity[i] = 0.5 * rnd.nextGaussian();
        }
    }

    private double[][] gaussians(int n, int dim, double scale) {
        double[][] v = new double[n][dim];
        for (double[] row : v) for (int d = 0; d < dim; d++) row[d] = scale * rnd.nextGaussian();
        return v;
    }

    public int users() { return users; }
    public int items() { return items; }

    public static String userId(int u) { return "user-" + u; }
    public static String itemId(int i) { return "item-" + i; }

    /** The true click probability of an item shown to a user. */
    public double clickProbability(int user, int item) {
        double dot = 0;
        for (int d = 0; d < DIM; d++) dot += taste[user][d] * itemVec[item][d];
        int c = itemCategory[item];
        double fav = c == favourites[user][0] || c == favourites[user][1] ? 1.2 : 0;
        return 1 / (1 + Math.exp(-(-2.4 + 1.6 * dot + popularity[item] + fav)));
    }

    /** What a client knows about a user when it asks for recommendations. */
    public Map<String, String> userContext(int user) {
        Map<String, String> ctx = new HashMap<>();
        ctx.put("age_group", "a" + userAge[user]);
        ctx.put("region", "r" + userRegion[user]);
        return ctx;
    }

    /** One impression at {@code time} (and, maybe, its click later); then {@link #clicksDue}. */
    public ClickEvent impression(long time) {
        impressions++;
        if (impressions % 500 == 0) {
            for (int i = 0; i < items; i++) popularity[i] = 0.98 * popularity[i] + 0.1 * rnd.nextGaussian();
        }
        // active users are skewed: a few users come back often
        int user = (int) Math.min(users - 1, Math.floor(users * Math.pow(rnd.nextDouble(), 2)));
        int item = rnd.nextInt(items);
        Map<String, String> ctx = userContext(user);
        ctx.put("category", "c" + itemCategory[item]);
        ctx.put("brand", "b" + itemBrand[item]);
        ctx.put("device", rnd.nextInt(3) == 0 ? "ios" : "android");
        Map<String, Double> num = new HashMap<>();
        num.put("price", itemPrice[item]);
        String imp = "imp-" + time + "-" + impressions;
        ClickEvent e = ClickEvent.newBuilder().setEventId(imp).setEventType(EventType.IMPRESSION)
                .setImpressionId(imp).setUserId(userId(user)).setItemId(itemId(item)).setEventTime(time)
                .setContext(ctx).setNumeric(num).setLabel(null).build();
        lastProbability = clickProbability(user, item);
        if (rnd.nextDouble() < lastProbability) {
            long at = time + delay.sample(rnd);
            pendingClicks.add(ClickEvent.newBuilder().setEventId("click-" + imp).setEventType(EventType.CLICK)
                    .setImpressionId(imp).setUserId(userId(user)).setItemId(itemId(item)).setEventTime(at)
                    .setContext(new HashMap<>()).setNumeric(new HashMap<>()).setLabel(null).build());
        }
        return e;
    }

    /** The true click probability of the impression {@link #impression} returned last. */
    public double lastProbability() {
        return lastProbability;
    }

    /** Clicks whose time has come, in time order. */
    public List<ClickEvent> clicksDue(long now) {
        List<ClickEvent> out = new ArrayList<>();
        while (!pendingClicks.isEmpty() && pendingClicks.peek().getEventTime() <= now) out.add(pendingClicks.poll());
        return out;
    }
}
