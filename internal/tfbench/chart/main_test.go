// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const sample = "phase\tvirtco_s\tnoop_s\tterraform_data_s\tvirtco_per_noop\tvirtco_per_terraform_data\tvirtco_requests\tobjects\tparallelism\trepeat\n" +
	"apply\t4.200\t3.000\t1.500\t1.450\t2.700\t480\t240\t10\t3\n" +
	"plan\t2.400\t1.500\t0.400\t1.580\t5.600\t240\t240\t10\t3\n" +
	"destroy\t3.600\t2.200\t2.000\t1.660\t1.800\t480\t240\t10\t3\n"

// sampleSame has the two columns that scripts/tfbench writes last since it measures the same schemas.
const sampleSame = "phase\tvirtco_s\tnoop_s\tterraform_data_s\tvirtco_per_noop\tvirtco_per_terraform_data\tvirtco_requests\tobjects\tparallelism\trepeat\tsame_schemas_s\tvirtco_per_same_schemas\n" +
	"apply\t4.200\t3.000\t1.500\t1.450\t2.700\t480\t240\t10\t3\t3.300\t1.250\n" +
	"plan\t2.400\t1.500\t0.400\t1.580\t5.600\t240\t240\t10\t3\t1.800\t1.310\n" +
	"destroy\t3.600\t2.200\t2.000\t1.660\t1.800\t480\t240\t10\t3\t2.700\t1.370\n"

type bar struct {
	phase, config   string
	seconds, height float64
	y               float64
}

// readSVG parses the whole file as XML, so that a chart a browser would refuse fails here, and
// returns its bars and its texts.
func readSVG(t *testing.T, path string) (bars []bar, texts []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	var root bool
	inText := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not valid XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if !root {
				if el.Name.Local != "svg" || el.Name.Space != "http://www.w3.org/2000/svg" {
					t.Fatalf("root element is %v, want svg in the SVG namespace", el.Name)
				}
				root = true
			}
			inText = el.Name.Local == "text"
			attr := map[string]string{}
			for _, a := range el.Attr {
				attr[a.Name.Local] = a.Value
			}
			if el.Name.Local == "rect" && attr["class"] == "bar" {
				b := bar{phase: attr["data-phase"], config: attr["data-config"]}
				for k, dst := range map[string]*float64{"data-seconds": &b.seconds, "height": &b.height, "y": &b.y} {
					if *dst, err = strconv.ParseFloat(attr[k], 64); err != nil {
						t.Fatalf("bar %v: %s=%q: %v", attr, k, attr[k], err)
					}
				}
				bars = append(bars, b)
			}
		case xml.CharData:
			if inText {
				texts = append(texts, string(el))
			}
		case xml.EndElement:
			inText = false
		}
	}
	return bars, texts
}

type wantBar struct {
	phase, config string
	seconds       float64
}

func TestChartDrawsABarPerConfigurationWithTheRatios(t *testing.T) {
	ratios := []string{
		"virtco / no-op 1.45×", "virtco / terraform_data 2.70×", "480 API requests",
		"virtco / no-op 1.58×", "virtco / terraform_data 5.60×", "240 API requests",
		"virtco / no-op 1.66×", "virtco / terraform_data 1.80×",
		"240 objects each, parallelism 10, median of 3 interleaved rounds",
	}
	for _, tc := range []struct {
		name, tsv   string
		bars        []wantBar
		says, never []string
	}{{
		name: "with the same schemas", tsv: sampleSame,
		bars: []wantBar{
			{"apply", "virtco", 4.2}, {"apply", "same_schemas", 3.3}, {"apply", "noop", 3.0}, {"apply", "terraform_data", 1.5},
			{"plan", "virtco", 2.4}, {"plan", "same_schemas", 1.8}, {"plan", "noop", 1.5}, {"plan", "terraform_data", 0.4},
			{"destroy", "virtco", 3.6}, {"destroy", "same_schemas", 2.7}, {"destroy", "noop", 2.2}, {"destroy", "terraform_data", 2.0},
		},
		says: append([]string{"virtco's schemas, no network",
			"virtco / same schemas 1.25×", "virtco / same schemas 1.31×", "virtco / same schemas 1.37×"}, ratios...),
	}, {
		name: "a file from before the same schemas", tsv: sample,
		bars: []wantBar{
			{"apply", "virtco", 4.2}, {"apply", "noop", 3.0}, {"apply", "terraform_data", 1.5},
			{"plan", "virtco", 2.4}, {"plan", "noop", 1.5}, {"plan", "terraform_data", 0.4},
			{"destroy", "virtco", 3.6}, {"destroy", "noop", 2.2}, {"destroy", "terraform_data", 2.0},
		},
		says:  ratios,
		never: []string{"schemas"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "tfbench.tsv")
			if err := os.WriteFile(in, []byte(tc.tsv), 0o600); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out", "tfbench.svg")
			if err := run(in, out); err != nil {
				t.Fatal(err)
			}
			bars, texts := readSVG(t, out)
			checkBars(t, bars, tc.bars)
			all := strings.Join(texts, "\n")
			for _, s := range tc.says {
				if !strings.Contains(all, s) {
					t.Errorf("the chart does not say %q; its texts:\n%s", s, all)
				}
			}
			for _, s := range tc.never {
				if strings.Contains(all, s) {
					t.Errorf("the chart says %q, which the results file has no column for; its texts:\n%s", s, all)
				}
			}
		})
	}
}

// checkBars checks the bars in order, and that every bar stands on one baseline with its height
// its seconds on one scale.
func checkBars(t *testing.T, bars []bar, want []wantBar) {
	t.Helper()
	if len(bars) != len(want) {
		t.Fatalf("%d bars, want %d: %+v", len(bars), len(want), bars)
	}
	scale, base := bars[0].height/bars[0].seconds, bars[0].y+bars[0].height
	for i, w := range want {
		b := bars[i]
		if b.phase != w.phase || b.config != w.config || b.seconds != w.seconds {
			t.Errorf("bar %d is %s/%s %.3f s, want %s/%s %.3f s", i, b.phase, b.config, b.seconds, w.phase, w.config, w.seconds)
		}
		if math.Abs(b.height-w.seconds*scale) > 0.15 {
			t.Errorf("bar %d (%s/%s) is %.1f high, want %.1f: heights are not proportional to seconds", i, b.phase, b.config, b.height, w.seconds*scale)
		}
		if math.Abs(b.y+b.height-base) > 0.15 {
			t.Errorf("bar %d (%s/%s) ends at %.1f, not on the baseline %.1f", i, b.phase, b.config, b.y+b.height, base)
		}
	}
}

func TestChartRefusesAResultsFileItCannotRead(t *testing.T) {
	for name, tsv := range map[string]string{
		"empty":                            "",
		"header only":                      strings.SplitAfter(sample, "\n")[0],
		"column missing":                   strings.ReplaceAll(sample, "noop_s", "nop_s"),
		"not a number":                     strings.Replace(sample, "4.200", "fast", 1),
		"negative":                         strings.Replace(sample, "4.200", "-4.2", 1),
		"same schemas without their ratio": strings.ReplaceAll(sampleSame, "\tvirtco_per_same_schemas", "\tvirtco_per_same"),
		"same schemas not a number":        strings.Replace(sampleSame, "3.300", "fast", 1),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			in, out := filepath.Join(dir, "r.tsv"), filepath.Join(dir, "r.svg")
			if err := os.WriteFile(in, []byte(tsv), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := run(in, out); err == nil {
				t.Fatal("run succeeded")
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a chart was written all the same (stat: %v)", err)
			}
		})
	}
}
