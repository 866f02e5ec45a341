package io.hydragen.chat;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.time.temporal.IsoFields;
import java.util.Locale;

/**
 * Python's {@code datetime.now().strftime(fmt)} (C locale, glibc, naive local time) for {@code strftime_now}: the
 * C89 directives, glibc's {@code %e} and {@code %-} (no padding) flag; {@code %z} and {@code %Z} are empty as for a
 * naive datetime; an unknown directive is kept as written, as glibc does.
 */
final class Strftime {
    private Strftime() {}

    static String format(ZonedDateTime t, String fmt) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                b.append(c);
                continue;
            }
            int start = i;
            boolean noPad = false;
            char d = fmt.charAt(++i);
            if (d == '-' && i + 1 < fmt.length()) {
                noPad = true;
                d = fmt.charAt(++i);
            }
            String s = directive(t, d, noPad);
            b.append(s != null ? s : fmt.substring(start, i + 1));
        }
        return b.toString();
    }

    private static String directive(ZonedDateTime t, char d, boolean noPad) {
        int hour12 = t.getHour() % 12 == 0 ? 12 : t.getHour() % 12;
        return switch (d) {
            case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US);
            case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
            case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US);
            case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.US);
            case 'd' -> pad(t.getDayOfMonth(), 2, noPad);
            case 'e' -> noPad ? Integer.toString(t.getDayOfMonth()) : String.format("%2d", t.getDayOfMonth());
            case 'm' -> pad(t.getMonthValue(), 2, noPad);
            case 'y' -> pad(t.getYear() % 100, 2, noPad);
            case 'Y' -> Integer.toString(t.getYear());
            case 'H' -> pad(t.getHour(), 2, noPad);
            case 'I' -> pad(hour12, 2, noPad);
            case 'M' -> pad(t.getMinute(), 2, noPad);
            case 'S' -> pad(t.getSecond(), 2, noPad);
            case 'f' -> pad(t.getNano() / 1000, 6, noPad);
            case 'p' -> t.getHour() < 12 ? "AM" : "PM";
            case 'j' -> pad(t.getDayOfYear(), 3, noPad);
            case 'w' -> Integer.toString(t.getDayOfWeek().getValue() % 7);
            case 'u' -> Integer.toString(t.getDayOfWeek().getValue());
            case 'U' -> pad((t.getDayOfYear() + 6 - t.getDayOfWeek().getValue() % 7) / 7, 2, noPad);
            case 'W' -> pad((t.getDayOfYear() + 6 - (t.getDayOfWeek().getValue() + 6) % 7) / 7, 2, noPad);
            case 'V' -> pad(t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), 2, noPad);
            case 'G' -> Integer.toString(t.get(IsoFields.WEEK_BASED_YEAR));
            case 'C' -> pad(t.getYear() / 100, 2, noPad);
            case 'D' -> format(t, "%m/%d/%y");
            case 'F' -> format(t, "%Y-%m-%d");
            case 'T' -> format(t, "%H:%M:%S");
            case 'R' -> format(t, "%H:%M");
            case 'c' -> format(t, "%a %b %e %H:%M:%S %Y");
            case 'x' -> format(t, "%m/%d/%y");
            case 'X' -> format(t, "%H:%M:%S");
            case 'n' -> "\n";
            case 't' -> "\t";
            case 'z', 'Z' -> "";
            case 's' -> Long.toString(t.toEpochSecond());
            case '%' -> "%";
            default -> null;
        };
    }

    private static String pad(long v, int width, boolean noPad) {
        String s = Long.toString(v);
        return noPad || s.length() >= width ? s : "0".repeat(width - s.length()) + s;
    }

}
