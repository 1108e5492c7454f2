// Command hello is what the buildtest tests build.
package main

import "fmt"

func main() { fmt.Println("hello from buildtest") }
