package io.hydragen.examples.notebooks;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Python subset of the notebook runner: what it reads, and that it refuses what it cannot run. */
class PyParserTest {
    @Test
    void chainedBuilderAcrossLinesWithComments() {
        List<PyStatement> s = PyParser.parse("""
                spark = (SparkSession.builder   # a comment
                         .master("local[2]")
                         .config("k", 'v')
                         .getOrCreate())
                print("Spark", spark.version)
                """);
        assertEquals(2, s.size());
        PyStatement.Assign a = assertInstanceOf(PyStatement.Assign.class, s.get(0));
        assertEquals("spark", a.target());
        PyExpr.Call getOrCreate = assertInstanceOf(PyExpr.Call.class, a.value());
        PyExpr.Attr attr = assertInstanceOf(PyExpr.Attr.class, getOrCreate.function());
        assertEquals("getOrCreate", attr.name());
        assertEquals(5, s.get(1).line());
    }

    @Test
    void stringLiteralsKeepSqlVerbatim() {
        PyStatement.Expression e = (PyStatement.Expression) PyParser.parse("spark.sql(\"\"\"\nSELECT 'a', \"b\"\nFROM t\n\"\"\").show(5, truncate=30)").get(0);
        PyExpr.Call show = (PyExpr.Call) e.value();
        assertEquals(List.of(new PyExpr.Num(5, true)), show.args());
        assertEquals(Map.of("truncate", new PyExpr.Num(30, true)), show.kwargs());
        PyExpr.Call sql = (PyExpr.Call) ((PyExpr.Attr) show.function()).object();
        assertEquals(new PyExpr.Str("\nSELECT 'a', \"b\"\nFROM t\n"), sql.args().get(0));
        assertEquals(new PyExpr.Str("a\nb\"c"), ((PyStatement.Expression) PyParser.parse("'a\\nb\"c'").get(0)).value());
        assertEquals(new PyExpr.Str("ab"), ((PyStatement.Expression) PyParser.parse("('a'\n 'b')").get(0)).value());
    }

    @Test
    void importsTuplesIndexingAndMinus() {
        List<PyStatement> s = PyParser.parse("import glob, time\nfrom pyspark.sql import SparkSession\nx = glob.glob('*.jar')[0]\ny = [(t,)]\nz = b - a");
        assertEquals(List.of("glob", "time"), ((PyStatement.Import) s.get(0)).names());
        assertEquals("pyspark.sql", ((PyStatement.Import) s.get(1)).module());
        assertInstanceOf(PyExpr.Index.class, ((PyStatement.Assign) s.get(2)).value());
        PyExpr.ListOf list = (PyExpr.ListOf) ((PyStatement.Assign) s.get(3)).value();
        assertEquals(new PyExpr.TupleOf(List.of(new PyExpr.Name("t"))), list.items().get(0));
        assertInstanceOf(PyExpr.Minus.class, ((PyStatement.Assign) s.get(4)).value());
    }

    @Test
    void refusesWhatTheRunnerCannotRun() {
        String f = assertThrows(IllegalArgumentException.class, () -> PyParser.parse("spark.sql(f\"SELECT {x}\")")).getMessage();
        assertTrue(f.contains("plain string literals"), f);
        assertThrows(IllegalArgumentException.class, () -> PyParser.parse("for x in y:\n    print(x)"));
        assertThrows(IllegalArgumentException.class, () -> PyParser.parse("x = a + b"));
        assertThrows(IllegalArgumentException.class, () -> PyParser.parse("x = 'unterminated"));
        String line = assertThrows(IllegalArgumentException.class, () -> PyParser.parse("a = 1\nb = (2,\n3 4)")).getMessage();
        assertTrue(line.startsWith("line 3"), line);
    }

    @Test
    void interpreterRejectsUnknownCallsWithCellAndLine() {
        PyInterpreter py = new PyInterpreter(new RunContext(java.nio.file.Path.of("."), Map.of()));
        assertEquals("a 3\n", py.run(1, "x = 5 - 2\nprint('a', x)").stdout());
        assertEquals("'hi'", py.run(2, "y = 'hi'\ny").result());
        NotebookRunException e = assertThrows(NotebookRunException.class, () -> py.run(3, "\nimport os"));
        assertTrue(e.getMessage().startsWith("cell 3, line 2: import of os"), e.getMessage());
        NotebookRunException undefined = assertThrows(NotebookRunException.class, () -> py.run(4, "print(nope)"));
        assertTrue(undefined.getMessage().contains("NameError"), undefined.getMessage());
    }
}
