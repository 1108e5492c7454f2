// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Command chart draws the results file of scripts/tfbench (RESULTS=…, TSV) as an SVG bar chart:
// for each phase, the seconds of virtco, the same schemas with no network (when the file has them),
// the no-op provider and terraform_data side by side, with virtco's ratios to the others written
// under them.
//
//	go run ./internal/tfbench/chart -in bench/tfbench.tsv -out bench/tfbench.svg
package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

func main() {
	in := flag.String("in", "", "the results file of scripts/tfbench (TSV)")
	out := flag.String("out", "", "the SVG file to write (standard output when empty)")
	flag.Parse()
	if *in == "" {
		fmt.Fprintln(os.Stderr, "chart: -in is required: the TSV that scripts/tfbench wrote to RESULTS")
		os.Exit(2)
	}
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	var svg bytes.Buffer
	render(&svg, res)
	if out == "" {
		_, err = os.Stdout.Write(svg.Bytes())
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	// Written aside and renamed, so that a failed run never leaves half a chart in the repository.
	tmp, err := os.CreateTemp(filepath.Dir(out), ".chart-*.svg")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(svg.Bytes()); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), out)
}

// phase is one row of the results: the median seconds of each configuration and the median of
// virtco's ratios to the others, measured round by round.
type phase struct {
	Name               string
	Virtco, Noop, Data float64
	PerNoop, PerData   float64
	Requests           int
	Objects, Parallel  int
	Repeat             int
	Same, PerSame      float64
}

// SameSchemas is whether the file has sameColumns; files written before them draw without that series.
type results struct {
	Phases      []phase
	SameSchemas bool
}

var columns = []string{"phase", "virtco_s", "noop_s", "terraform_data_s", "virtco_per_noop",
	"virtco_per_terraform_data", "virtco_requests", "objects", "parallelism", "repeat"}

// sameColumns came later (internal/tfbench/shapeprovider): a file has both or neither.
var sameColumns = []string{"same_schemas_s", "virtco_per_same_schemas"}

func parse(r io.Reader) (results, error) {
	cr := csv.NewReader(r)
	cr.Comma = '\t'
	rows, err := cr.ReadAll()
	if err != nil {
		return results{}, err
	}
	if len(rows) < 2 {
		return results{}, errors.New("no results: want a header line and a line per phase")
	}
	at := map[string]int{}
	for i, name := range rows[0] {
		at[name] = i
	}
	for _, c := range columns {
		if _, ok := at[c]; !ok {
			return results{}, fmt.Errorf("column %q is missing; the header has %v", c, rows[0])
		}
	}
	var res results
	_, res.SameSchemas = at[sameColumns[0]]
	if _, ok := at[sameColumns[1]]; ok != res.SameSchemas {
		return results{}, fmt.Errorf("columns %q come together or not at all; the header has %v", sameColumns, rows[0])
	}
	for n, row := range rows[1:] {
		line := n + 2
		num := func(col string) (float64, error) {
			v, err := strconv.ParseFloat(row[at[col]], 64)
			if err != nil || v < 0 {
				return 0, fmt.Errorf("line %d: %s is %q, not a number of zero or more", line, col, row[at[col]])
			}
			return v, nil
		}
		var p phase
		p.Name = row[at["phase"]]
		floats := []*float64{&p.Virtco, &p.Noop, &p.Data, &p.PerNoop, &p.PerData}
		for i, col := range columns[1:6] {
			if *floats[i], err = num(col); err != nil {
				return results{}, err
			}
		}
		ints := []*int{&p.Requests, &p.Objects, &p.Parallel, &p.Repeat}
		for i, col := range columns[6:] {
			v, err := num(col)
			if err != nil {
				return results{}, err
			}
			*ints[i] = int(v)
		}
		if res.SameSchemas {
			if p.Same, err = num(sameColumns[0]); err != nil {
				return results{}, err
			}
			if p.PerSame, err = num(sameColumns[1]); err != nil {
				return results{}, err
			}
		}
		res.Phases = append(res.Phases, p)
	}
	return res, nil
}
