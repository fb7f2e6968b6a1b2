package gen

import "encoding/json"

func jsonNumber(s string) any { return json.Number(s) }
