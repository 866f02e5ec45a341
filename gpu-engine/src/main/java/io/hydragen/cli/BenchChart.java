package io.hydragen.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** The bench's decode tokens/s per attention mode as a bar chart (XChart), with the speedup in the title. */
final class BenchChart {
    private BenchChart() {}

    static CategoryChart chart(BenchReport r) {
        String title = "Decode throughput";
        if (r.speedup() != null) {
            title += String.format(Locale.ROOT, ": hydragen %.2f\u00d7 per-sequence", r.speedup().hydragenVsPerSequence());
        }
        String settings = String.format(Locale.ROOT, "%s, batch %d, prefix %d + suffix %d tokens, %d new tokens; %s, %d threads",
                r.model(), r.batch(), r.prefixTokens(), r.suffixTokens(), r.newTokens(), r.backend(), r.threads());
        CategoryChart chart = new CategoryChartBuilder().width(900).height(540).title(title)
                .xAxisTitle(settings).yAxisTitle("decode tokens/s").build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisDecimalPattern("#,##0");
        chart.getStyler().setDecimalPattern("#,##0.0");
        chart.getStyler().setChartTitleBoxVisible(false);
        chart.getStyler().setPlotGridVerticalLinesVisible(false);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        List<String> modes = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        for (Map.Entry<String, BenchReport.ModeResult> e : r.results().entrySet()) {
            // "none" skips attention: the ceiling the other modes approach, not a usable mode
            modes.add(e.getKey().equals("none") ? "none (no attention, upper bound)" : e.getKey());
            rates.add(e.getValue().decodeTokensPerS());
        }
        chart.addSeries("decode tokens/s", modes, rates);
        return chart;
    }

    /** Writes the PNG to exactly {@code path} (XChart's file-name overload would append its own extension). */
    static void savePng(BenchReport r, Path path) throws IOException {
        try (OutputStream out = Files.newOutputStream(path)) {
            BitmapEncoder.saveBitmap(chart(r), out, BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
