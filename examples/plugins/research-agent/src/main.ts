#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { ResearchAgent } from './research-agent.js'

await serve(new ResearchAgent())
