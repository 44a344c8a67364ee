#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { RequestEnricher } from './request-enricher.js'

await serve(new RequestEnricher())
