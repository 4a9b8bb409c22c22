import { readFileSync } from 'node:fs'
import { buildSchema } from 'graphql'
import { printGraphqlSdl } from '/work/wt-graphql/engine/ir/graphql/print-sdl.ts'
const ir = JSON.parse(readFileSync('/work/wt-graphql/generated/model.json', 'utf8'))
const sdl = printGraphqlSdl(ir)
buildSchema(sdl)
console.log(sdl.length)
