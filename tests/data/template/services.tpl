{{- range nomadServices }}
{{ .Name | printf "%-10s" }} tags={{ join "," .Tags }}
{{- range nomadService .Name }}
  {{ .ID }} {{ .Address }}:{{ .Port }} node={{ .Node }} dc={{ .Datacenter }} alloc={{ .AllocID }}
{{- end }}
{{- end }}
{{ nomadService "redis-svc" | len | printf "%d redis instances" }}
{{ (index (nomadService "web") 0).Tags | toJSON }}
