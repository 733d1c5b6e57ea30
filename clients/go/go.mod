module github.com/nango-graphql/clients/go

go 1.19
