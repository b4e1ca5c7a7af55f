job "x" { group "g" { count = [1, {a = 2}, <<EOH
x
EOH
] } }
