import { policies } from 'koyalite'
import * as schema from '../schema'

import type { PolicyRules } from 'koyalite'

const rules: PolicyRules<typeof schema> = { tasks: { read: () => true } }

export default policies(schema, rules)
